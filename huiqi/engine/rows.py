"""Bulk explanations: one policy's results for many enterprises, with the values read.

Delivery needs, for every enterprise it grants to, the explanation that justified
the grant. This module runs the same evaluation query as bulk matching and joins
the frame columns each criterion read, producing JSON-ready explanation records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from huiqi.config import Settings
from huiqi.engine.compile.compiler import DIALECT, CompiledPolicy
from huiqi.engine.duckdb.frame import FRAME, attach_snapshot, build_frame
from huiqi.engine.duckdb.policy_sql import evaluation_query
from huiqi.engine.frame_columns import FrameColumn
from huiqi.profiles.store import ProfileStore

STATE = {True: "met", False: "not_met", None: "unknown"}
NAME = FrameColumn("static", "name")


def jsonable(value: Any) -> Any:
    """Exact, JSON-safe form of a profile value (Decimal as a string, dates ISO)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class ResultRow:
    uscc: str
    name: str | None
    status: str
    amount_fen: int | None
    failed: tuple[str, ...]
    unknown: tuple[str, ...]
    explanation: dict[str, Any]


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t for t in (text or "").split(",") if t)


def result_rows(
    con: duckdb.DuckDBPyConnection,
    cp: CompiledPolicy,
    *,
    statuses: tuple[str, ...] = ("eligible", "near_miss", "needs_data"),
    snapshot_id: int | None = None,
) -> Iterator[ResultRow]:
    """Evaluate ``cp`` over the frame in ``con`` and yield explained rows, ordered by USCC."""
    reads = sorted(cp.requirements | {NAME})
    q = evaluation_query(cp, keep_all=True).subquery("r")
    query = (
        exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier("r")),
            *[
                exp.column(c.name, table="f", quoted=True).as_(f"v_{i}")
                for i, c in enumerate(reads)
            ],
        )
        .from_(q)
        .join(
            exp.to_table(FRAME).as_("f"),
            on=exp.EQ(
                this=exp.column("uscc", table="r", quoted=True),
                expression=exp.column("uscc", table="f", quoted=True),
            ),
        )
        .where(
            exp.In(
                this=exp.column("status", table="r", quoted=True),
                expressions=[exp.Literal.string(s) for s in statuses],
            )
        )
        .order_by(exp.column("uscc", table="r", quoted=True))
    )
    cursor = con.execute(query.sql(dialect=DIALECT))
    n = len(cp.checked)
    policy = cp.policy
    while True:
        chunk = cursor.fetchmany(10_000)
        if not chunk:
            break
        for row in chunk:
            values = dict(zip((c.name for c in reads), row[7 + n :], strict=True))
            crit_values = row[1 : 1 + n]
            by_id = dict(zip((c.id for c in cp.checked), crit_values, strict=True))
            criteria = [
                {
                    "id": c.id,
                    "label": c.label_zh,
                    "state": "to_confirm" if c.attested else STATE[by_id[c.id]],
                    "values": {r.name: jsonable(values.get(r.name)) for r in c.reads},
                }
                for c in cp.criteria
            ]
            explanation = {
                "policy_id": policy.id,
                "version": policy.version,
                "content_hash": cp.source_hash,
                "snapshot_id": snapshot_id,
                "status": row[4 + n],
                "name": values.get(NAME.name),
                "criteria": criteria,
                "amount": {
                    "formula": policy.amount.formula,
                    "values": {r.name: jsonable(values.get(r.name)) for r in cp.amount_reads},
                    "amount_fen": row[1 + n],
                },
            }
            yield ResultRow(
                uscc=row[0],
                name=values.get(NAME.name),
                status=row[4 + n],
                amount_fen=row[1 + n],
                failed=_split(row[5 + n]),
                unknown=_split(row[6 + n]),
                explanation=explanation,
            )


def snapshot_result_rows(
    settings: Settings,
    cp: CompiledPolicy,
    *,
    snapshot_id: int | None = None,
    statuses: tuple[str, ...] = ("eligible", "near_miss", "needs_data"),
) -> tuple[int, list[ResultRow]]:
    """Evaluate one policy over a whole snapshot (default: the latest)."""
    store = ProfileStore(settings)
    sid = snapshot_id if snapshot_id is not None else store.latest_snapshot()
    con = duckdb.connect()
    try:
        attach_snapshot(con, store.snapshot_files(sid))
        build_frame(con, cp.requirements | {NAME})
        return sid, list(result_rows(con, cp, statuses=statuses, snapshot_id=sid))
    finally:
        con.close()
