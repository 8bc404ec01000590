"""Rows of the neutral evaluation query (``evaluation.COLUMNS``) back as results.

Shared by the SQL backends other than DuckDB: an ``Evaluation`` per row, traces from
evaluations and the frame values they read, the per-policy summary of a bulk run,
and the schema of ``matches.parquet`` (the DuckDB matcher's, column for column).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.results import AMOUNT_TOO_LARGE, STATUSES, Evaluation, PolicySummary
from huiqi.engine.trace import PolicyTrace
from huiqi.engine.tracing import TraceBuilder

MATCHES_SCHEMA = pa.schema(
    [
        pa.field("uscc", pa.string(), nullable=False),
        pa.field("policy_id", pa.string(), nullable=False),
        pa.field("policy_version", pa.int32(), nullable=False),
        pa.field("snapshot_id", pa.int32(), nullable=False),
        ("status", pa.string()),
        ("eligible", pa.bool_()),
        ("amount_fen", pa.int64()),
        ("failed_criterion", pa.string()),
        ("unknown_criteria", pa.string()),
        ("error", pa.string()),
    ]
)

_LETTER = {"t": True, "f": False, "n": None}


def evaluation_of(cp: CompiledPolicy, row: Mapping[str, Any]) -> Evaluation:
    """An ``Evaluation`` from a row of the neutral evaluation query."""
    values = tuple(_LETTER[ch] for ch in row["criteria"])
    ids = [c.id for c in cp.checked]
    yuan = row["amount_yuan"]
    return Evaluation(
        uscc=row["uscc"],
        policy_id=cp.policy.id,
        status=row["status"],
        amount_fen=None if row["amount_fen"] is None else int(row["amount_fen"]),
        values=values,
        failed=tuple(i for i, v in zip(ids, values, strict=True) if v is False),
        unknown=tuple(i for i, v in zip(ids, values, strict=True) if v is None),
        amount_yuan=None if yuan is None else Decimal(str(yuan)),
        error=AMOUNT_TOO_LARGE if row["status"] == "error" else None,
    )


def traces_of(
    policies: Sequence[CompiledPolicy],
    evaluations: Sequence[Evaluation],
    frame_rows: Mapping[str, Mapping[str, Any]],
    *,
    statuses: Collection[str],
    snapshot_id: int | None,
) -> list[PolicyTrace]:
    """Traces by policy, then USCC, of the evaluations whose status is in ``statuses``;
    ``frame_rows`` maps a USCC to its frame row (every column a trace reads)."""
    by_policy: dict[str, list[Evaluation]] = {}
    for ev in evaluations:
        by_policy.setdefault(ev.policy_id, []).append(ev)
    out: list[PolicyTrace] = []
    for cp in policies:
        builder = TraceBuilder(cp, snapshot_id=snapshot_id)
        for ev in sorted(by_policy.get(cp.policy.id, []), key=lambda e: e.uscc):
            if ev.status in statuses:
                out.append(builder.build(ev, dict(frame_rows[ev.uscc])))
    return out


def summaries_of(
    policies: Sequence[CompiledPolicy], counts: Sequence[tuple[str, str, int, int | None]]
) -> list[PolicySummary]:
    """Per-policy summaries from (policy_id, status, rows, sum of amount_fen) counts."""
    out = {cp.policy.id: PolicySummary(cp.policy.id, cp.policy.version) for cp in policies}
    for policy_id, status, n, amount in counts:
        s = out[policy_id]
        if status in STATUSES and status != "not_eligible":
            setattr(s, status, int(n))
        if status == "eligible":
            s.amount_fen = int(amount or 0)
        if status == "error":
            s.error_reasons.append(f"{n:,} row{'' if n == 1 else 's'}: {AMOUNT_TOO_LARGE}")
    return list(out.values())
