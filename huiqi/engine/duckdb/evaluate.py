"""Evaluate compiled policies for given enterprises inside one DuckDB connection.

Shared by explanations and policy test cases: build the frame (for all rows, or
one USCC), run ``evaluation_query(keep_all=True)`` and return typed rows. Bulk
matching runs the same query without ``keep_all``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.frame import FRAME, build_frame
from huiqi.engine.duckdb.policy_sql import evaluation_sql
from huiqi.engine.frame_columns import FrameColumn


@dataclass(frozen=True)
class Evaluation:
    uscc: str
    policy_id: str
    status: str
    amount_fen: int | None
    values: tuple[bool | None, ...]
    failed: tuple[str, ...]
    unknown: tuple[str, ...]


def requirements(policies: Iterable[CompiledPolicy]) -> set[FrameColumn]:
    out: set[FrameColumn] = set()
    for cp in policies:
        out |= cp.requirements
    return out


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t for t in (text or "").split(",") if t)


def evaluate_in(
    con: duckdb.DuckDBPyConnection,
    policies: list[CompiledPolicy],
    *,
    uscc: str | None = None,
    rebuild_frame: bool = True,
) -> list[Evaluation]:
    """Evaluate every policy for every enterprise in the frame (or just ``uscc``)."""
    if rebuild_frame:
        build_frame(con, requirements(policies), uscc=uscc)
    out: list[Evaluation] = []
    for cp in policies:
        n = len(cp.checked)
        for row in con.execute(evaluation_sql(cp, keep_all=True, frame=FRAME)).fetchall():
            out.append(
                Evaluation(
                    uscc=row[0],
                    policy_id=cp.policy.id,
                    values=tuple(row[1 : 1 + n]),
                    amount_fen=row[1 + n],
                    status=row[4 + n],
                    failed=_split(row[5 + n]),
                    unknown=_split(row[6 + n]),
                )
            )
    return out


def frame_values(
    con: duckdb.DuckDBPyConnection, columns: Iterable[FrameColumn], uscc: str
) -> dict[str, Any]:
    """The values of some frame columns for one enterprise (for explanations)."""
    cols = sorted(set(columns))
    if not cols:
        return {}
    from sqlglot import exp

    query = (
        exp.select(*[exp.column(c.name, quoted=True) for c in cols])
        .from_(exp.to_table(FRAME))
        .where(exp.EQ(this=exp.column("uscc", quoted=True), expression=exp.Placeholder()))
    )
    row = con.execute(query.sql(dialect="duckdb"), [uscc]).fetchone()
    if row is None:
        return {}
    return {c.name: v for c, v in zip(cols, row, strict=True)}
