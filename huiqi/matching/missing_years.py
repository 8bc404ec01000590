"""The years a policy reads that a snapshot holds no figures for (QA, qa7).

A policy for 2027 on 2026 figures, matched against a snapshot whose latest year is 2025,
gave "needs data" for all 5,000 enterprises, and ``huiqi match`` said nothing of why: an
officer new to huiqi took the policy for broken. The run's report names the years.

Example:
    >>> from huiqi.engine.frame_columns import FrameColumn
    >>> years_lacking([FrameColumn("yearly", "revenue", 2026)], {2024, 2025})
    [2026]
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.frame_columns import FrameColumn
from huiqi.matching.analysis import ANALYSIS_FILE


def snapshot_years(run_dir: Path) -> set[int]:
    """The years the snapshot of a run holds yearly figures for."""
    with duckdb.connect(str(run_dir / ANALYSIS_FILE), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT year FROM enterprise_years").fetchall()
    return {int(r[0]) for r in rows if r[0] is not None}


def years_lacking(reads: Iterable[FrameColumn], years: set[int]) -> list[int]:
    """The years of the yearly fields read that ``years`` does not hold, in order."""
    read = {c.year for c in reads if c.kind == "yearly" and c.year is not None}
    return sorted(read - years)


def policy_reads(cp: CompiledPolicy) -> list[FrameColumn]:
    """Every frame column a compiled policy's criteria and amount read."""
    return [c for crit in cp.criteria for c in crit.reads] + list(cp.amount_reads)


def lacking_years(policies: Iterable[CompiledPolicy], years: set[int]) -> list[dict[str, Any]]:
    """Per policy that reads a year the snapshot lacks: its id, data_year, the years of
    figures it reads, those the snapshot lacks, and the snapshot's years (``huiqi match
    --json``; QA, qa12: only the text report named them)."""
    found = []
    for cp in policies:
        reads = policy_reads(cp)
        lacking = years_lacking(reads, years)
        if lacking:
            read = {c.year for c in reads if c.kind == "yearly" and c.year is not None}
            found.append(
                {
                    "policy": cp.policy.id,
                    "data_year": cp.policy.data_year,
                    "years_read": sorted(read),
                    "years_lacking": lacking,
                    "snapshot_years": sorted(years),
                }
            )
    return found


def lacking_notes(policies: Iterable[CompiledPolicy], years: set[int]) -> list[str]:
    """One line per policy that reads a year the snapshot lacks."""
    held = f"{min(years)}–{max(years)}" if years else "none"
    return [
        f"{found['policy']} reads figures of {', '.join(map(str, found['years_lacking']))}"
        f" (its data_year is {found['data_year']}), which the snapshot does not hold (its"
        f" years: {held}): its enterprises need data until that year's registry files are"
        " imported; check data_year if the policy means an earlier year"
        for found in lacking_years(policies, years)
    ]
