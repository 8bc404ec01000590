"""Evaluate compiled policies for the enterprises of a frame, with or without their trace.

Shared by explanations, delivery rows, recomputation and policy test cases: build
the frame (for all rows, or some USCCs), run ``evaluation_query(keep_all=True)``
and return typed rows. ``trace_in`` also joins the frame columns each criterion
and the amount read, and builds ``PolicyTrace``s from them. Bulk matching runs the
same codes and status without ``keep_all`` (``policy_sql.compact_query``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.codes import DIALECT
from huiqi.engine.duckdb.frame import FRAME, build_frame
from huiqi.engine.duckdb.isolate import ROW_ERRORS, failing_rows, row_error_text
from huiqi.engine.duckdb.policy_sql import evaluation_query, evaluation_sql
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.results import AMOUNT_TOO_LARGE, STATUSES, Evaluation
from huiqi.engine.trace import PolicyTrace
from huiqi.engine.tracing import TraceBuilder, trace_columns

# Rows fetched at a time when tracing a whole snapshot (delivery).
FETCH = 10_000


def requirements(policies: Iterable[CompiledPolicy]) -> set[FrameColumn]:
    """Every frame column the given policies read."""
    out: set[FrameColumn] = set()
    for cp in policies:
        out |= cp.requirements
    return out


def _split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(t for t in text.split(",") if t)


def _yuan(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, Decimal):
        return raw
    return Decimal(str(raw))


def _evaluation(cp: CompiledPolicy, row: tuple[Any, ...], n: int | None = None) -> Evaluation:
    """An ``evaluation_query`` row (uscc, c0..cN, amount_fen, n_false, n_null, status,
    failed, unknown, amount_yuan, amount_error) as an Evaluation; ``n``: how many
    criteria are checked (``len(cp.checked)``, given by callers of many rows)."""
    if n is None:
        n = len(cp.checked)
    status = row[4 + n]
    return Evaluation(
        uscc=row[0],
        policy_id=cp.policy.id,
        values=tuple(row[1 : 1 + n]),
        amount_fen=row[1 + n],
        status=status,
        failed=_split(row[5 + n]),
        unknown=_split(row[6 + n]),
        amount_yuan=_yuan(row[7 + n]),
        error=AMOUNT_TOO_LARGE if status == "error" else None,
    )


def evaluate_in(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[CompiledPolicy],
    *,
    usccs: Sequence[str] | None = None,
    rebuild_frame: bool = True,
) -> list[Evaluation]:
    """Evaluate every policy for every enterprise in the frame (or just ``usccs``)."""
    if rebuild_frame:
        build_frame(con, requirements(policies), usccs=usccs)
    out: list[Evaluation] = []
    for cp in policies:
        for row in con.execute(evaluation_sql(cp, keep_all=True, frame=FRAME)).fetchall():
            out.append(_evaluation(cp, row))
    return out


def _traced_query(
    cp: CompiledPolicy,
    reads: list[FrameColumn],
    statuses: Collection[str],
    *,
    rid_range: bool = False,
) -> str:
    """``evaluation_query`` joined with the frame columns read, filtered, ordered by USCC
    (with ``rid_range``, over the frame rows ``rowid BETWEEN $lo AND $hi`` only)."""
    query = (
        exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier("r")),
            *[
                exp.column(c.name, table="f", quoted=True).as_(f"v_{i}")
                for i, c in enumerate(reads)
            ],
        )
        .from_(evaluation_query(cp, keep_all=True, rid_range=rid_range).subquery("r"))
        .join(
            exp.to_table(FRAME).as_("f"),
            on=exp.EQ(
                this=exp.column("uscc", table="r", quoted=True),
                expression=exp.column("uscc", table="f", quoted=True),
            ),
        )
        .order_by(exp.column("uscc", table="r", quoted=True))
    )
    if set(statuses) != set(STATUSES):
        query = query.where(
            exp.In(
                this=exp.column("status", table="r", quoted=True),
                expressions=[exp.Literal.string(s) for s in statuses],
            )
        )
    return query.sql(dialect=DIALECT)


def trace_in(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[CompiledPolicy],
    *,
    usccs: Sequence[str] | None = None,
    statuses: Collection[str] = STATUSES,
    snapshot_id: int | None = None,
    rebuild_frame: bool = True,
) -> list[PolicyTrace]:
    """The trace of every policy for every enterprise of the frame (or ``usccs``) whose
    status is in ``statuses``; by policy, then USCC."""
    if rebuild_frame:
        build_frame(con, set().union(*(trace_columns(cp) for cp in policies)), usccs=usccs)
    out: list[PolicyTrace] = []
    for cp in policies:
        reads = sorted(trace_columns(cp))
        traces = _Traces(cp, reads, TraceBuilder(cp, snapshot_id=snapshot_id))
        mark = len(out)
        try:
            cursor = con.execute(_traced_query(cp, reads, statuses))
            while chunk := cursor.fetchmany(FETCH):
                out.extend(traces.of(chunk))
        except ROW_ERRORS as exc:
            # Some enterprises cannot be evaluated: trace the others, and those as errors.
            del out[mark:]
            out.extend(_isolated(con, traces, statuses, exc))
    return out


class _Traces:
    """Traces of one policy from rows of its traced query."""

    def __init__(self, cp: CompiledPolicy, reads: list[FrameColumn], builder: TraceBuilder):
        self.cp, self.reads, self.builder = cp, reads, builder
        self.names = [c.name for c in reads]
        self.n = len(cp.checked)
        self.width = 9 + self.n

    def of(self, rows: Iterable[tuple[Any, ...]]) -> list[PolicyTrace]:
        cp, n, names, width, build = self.cp, self.n, self.names, self.width, self.builder.build
        return [
            build(_evaluation(cp, row, n), dict(zip(names, row[width:], strict=True)))
            for row in rows
        ]

    def error(self, uscc: str, values: Sequence[Any], reason: str) -> PolicyTrace:
        """The trace of an enterprise the database could not evaluate: status 'error'."""
        ev = Evaluation(
            uscc=uscc,
            policy_id=self.cp.policy.id,
            status="error",
            amount_fen=None,
            values=(None,) * len(self.cp.checked),
            failed=(),
            unknown=(),
            error=row_error_text(reason),
        )
        return self.builder.build(ev, dict(zip(self.names, values, strict=True)))


def _isolated(
    con: duckdb.DuckDBPyConnection,
    traces: _Traces,
    statuses: Collection[str],
    error: Exception,
) -> list[PolicyTrace]:
    """``trace_in`` for one policy whose statement failed: by ranges of the frame (``isolate``);
    the rows that fail become 'error' traces with the database's reason, in USCC order."""
    sql = _traced_query(traces.cp, traces.reads, statuses, rid_range=True)
    out: list[PolicyTrace] = []

    def run(lo: int, hi: int) -> None:
        out.extend(traces.of(con.execute(sql, {"lo": lo, "hi": hi}).fetchall()))

    row = con.execute(f"SELECT COUNT(*) FROM {FRAME}").fetchone()
    failed = failing_rows(run, int(row[0]) if row else 0, error)
    if "error" in statuses:
        columns = ", ".join(f'"{name}"' for name in traces.names)
        for f in failed:
            for uscc, *values in con.execute(
                f"SELECT uscc, {columns} FROM {FRAME} WHERE rowid BETWEEN ? AND ?",
                [f.first, f.last],
            ).fetchall():
                out.append(traces.error(uscc, values, f.reason))
    return sorted(out, key=lambda t: t.uscc)
