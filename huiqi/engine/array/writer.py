"""Write a bulk run's kept rows as ``matches.parquet``, exactly as the DuckDB matcher does.

The compact rows (``rid``, ``policy``, ``status``, ``detail``) go into an in-memory
DuckDB connection with the frame's USCCs, the policies and the rows DuckDB could not
evaluate; the DuckDB matcher's own ``matches`` view decodes them and joins the
strings back, so the file has the same columns, types and values whichever backend
matched. The per-policy counts and the top near misses come from the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from huiqi.engine import near_counts
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.matcher import _matches_view
from huiqi.engine.near_counts import keeps_near_miss_rows, record_near_misses, write_near_misses
from huiqi.engine.results import AMOUNT_TOO_LARGE, STATUSES, PolicySummary
from huiqi.fsmode import private_file

NEAR_MISS = STATUSES.index("near_miss")


@dataclass
class Kept:
    """The kept rows of a run so far, policy by policy, and the rows DuckDB refused."""

    parts: list[tuple[Any, int, Any, Any]] = field(default_factory=list)
    # (rid, policy index, reason) of rows whose evaluation failed in DuckDB.
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    # Per policy index: {criterion id: enterprises that miss it alone}.
    near: dict[int, dict[str, int]] = field(default_factory=dict)

    def add(
        self, rid: Any, policy: int, status: Any, detail: Any, *, cp: CompiledPolicy | None = None
    ) -> None:
        """Keep a policy's rows. With ``cp``, its near misses are counted per criterion and
        their rows dropped unless its delivery uses them (``near_counts``)."""
        if cp is not None:
            near = status == NEAR_MISS
            if near.any():
                counts = np.bincount(detail[near], minlength=len(cp.checked))
                self.near[policy] = {cp.checked[k].id: int(n) for k, n in enumerate(counts) if n}
                if not keeps_near_miss_rows(cp):
                    keep = ~near
                    rid, status, detail = rid[keep], status[keep], detail[keep]
        self.parts.append((rid, policy, status, detail))

    def table(self) -> pa.Table:
        rid = [p[0] for p in self.parts]
        pol = [np.full(len(p[0]), p[1], dtype=np.int16) for p in self.parts]
        if not self.parts:
            rid, pol = [np.zeros(0, np.int32)], [np.zeros(0, np.int16)]
        cat = np.concatenate
        return pa.table(
            {
                "rid": pa.array(cat(rid).astype(np.int32)),
                "policy": pa.array(cat(pol)),
                "status": pa.array(cat([p[2] for p in self.parts] or [np.zeros(0, np.uint8)])),
                "detail": pa.array(cat([p[3] for p in self.parts] or [np.zeros(0, np.int64)])),
            }
        )


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


@dataclass
class Written:
    summaries: list[PolicySummary]
    enterprises_with_match: int
    near_misses: list[dict[str, object]]


def write_matches(
    uscc: pa.Array,
    policies: Sequence[CompiledPolicy],
    kept: Kept,
    *,
    snapshot_id: int,
    out_dir: Path,
    top_near_misses: int,
) -> Written:
    """Write ``out_dir/matches.parquet`` and count per policy (see the module doc)."""
    con = duckdb.connect()
    try:
        compact = kept.table()
        frame_uscc = pa.table({"uscc": uscc})
        errors = pa.table(
            {
                "rid": pa.array([e[0] for e in kept.errors], pa.int32()),
                "policy": pa.array([e[1] for e in kept.errors], pa.int16()),
                "reason": pa.array([e[2] for e in kept.errors], pa.string()),
            }
        )
        con.register("compact_arrow", compact)
        con.register("frame_arrow", frame_uscc)
        con.register("errors_arrow", errors)
        con.execute("CREATE TABLE matches_compact AS SELECT * FROM compact_arrow")
        # rowid is the frame row: insertion order is kept (the default setting).
        con.execute("CREATE TABLE frame AS SELECT uscc FROM frame_arrow")
        con.execute("CREATE TABLE match_errors AS SELECT * FROM errors_arrow")
        for name in ("compact_arrow", "frame_arrow", "errors_arrow"):
            con.unregister(name)
        con.execute(
            "CREATE TABLE match_policies AS SELECT CAST(UNNEST(?) AS SMALLINT) AS policy,"
            " UNNEST(?) AS policy_id, CAST(UNNEST(?) AS INTEGER) AS policy_version,"
            " UNNEST(?) AS criteria",
            [
                list(range(len(policies))),
                [cp.policy.id for cp in policies],
                [cp.policy.version for cp in policies],
                [[c.id for c in cp.checked] for cp in policies],
            ],
        )
        con.execute(
            "CREATE TABLE match_snapshot AS SELECT CAST(? AS INTEGER) AS snapshot_id",
            [snapshot_id],
        )
        con.execute(_matches_view(bool(kept.errors)))
        summaries = _summaries(con, policies, kept)
        record_near_misses(
            summaries,
            [
                (policies[i].policy.id, c, n)
                for i, found in kept.near.items()
                for c, n in found.items()
            ],
        )
        with_match = con.execute(
            "SELECT COUNT(DISTINCT rid) FROM matches_compact WHERE status = 0"
        ).fetchall()[0]
        matches_file = out_dir / "matches.parquet"
        con.table("matches").write_parquet(str(matches_file), compression="zstd")
        private_file(matches_file)
        write_near_misses(out_dir, summaries)
    finally:
        con.close()
    return Written(
        summaries,
        int(with_match[0]) if with_match else 0,
        near_counts.top_near_misses(summaries, top_near_misses),
    )


def _summaries(
    con: duckdb.DuckDBPyConnection, policies: Sequence[CompiledPolicy], kept: Kept
) -> list[PolicySummary]:
    summaries = [PolicySummary(cp.policy.id, cp.policy.version) for cp in policies]
    isolated = con.execute(
        "SELECT policy, reason, COUNT(*) AS n FROM match_errors GROUP BY ALL ORDER BY n DESC"
    ).fetchall()
    failed_rows = [0] * len(summaries)
    for index, reason, count in isolated:
        summaries[index].error_reasons.append(f"{_rows(count)}: {reason}")
        failed_rows[index] += int(count)
    counts = con.execute(
        "SELECT policy, status, COUNT(*), SUM(detail) FROM matches_compact GROUP BY ALL"
    ).fetchall()
    for index, status, count, amount in counts:
        s = summaries[index]
        setattr(s, STATUSES[status], int(count))
        if status == 0:
            s.amount_fen = int(amount)
        if STATUSES[status] == "error" and count > failed_rows[index]:
            s.error_reasons.insert(0, f"{_rows(count - failed_rows[index])}: {AMOUNT_TOO_LARGE}")
    return summaries
