"""Explain, criterion by criterion, why one enterprise does or does not qualify.

The explanation runs the very query bulk matching runs (``evaluation_query``)
on a frame holding only this enterprise, and reads back the frame values each
criterion used, with the registry each came from and the year it refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from huiqi.config import Settings
from huiqi.engine.compile.compiler import DIALECT, CompiledPolicy
from huiqi.engine.duckdb.evaluate import Evaluation, evaluate_in, frame_values, requirements
from huiqi.engine.duckdb.frame import FRAME, attach_snapshot, build_frame
from huiqi.engine.frame_columns import FrameColumn
from huiqi.errors import NotFoundError
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.store import ProfileStore
from huiqi.profiles.uscc import validate

STATE = {True: "met", False: "not_met", None: "unknown"}


@dataclass(frozen=True)
class ValueRead:
    column: str
    field: str
    label: str
    year: int | None
    value: Any
    source: str

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class CriterionExplanation:
    id: str
    label_zh: str
    label_en: str
    expression: str | None
    state: str  # met | not_met | unknown | to_confirm
    reads: tuple[ValueRead, ...]


@dataclass(frozen=True)
class AmountExplanation:
    formula: str
    reads: tuple[ValueRead, ...]
    computed_yuan: Decimal | None
    floor: Decimal | None
    cap: Decimal | None
    amount_fen: int | None


@dataclass(frozen=True)
class PolicyExplanation:
    policy_id: str
    version: int
    title_zh: str
    title_en: str
    delivery: str
    status: str
    criteria: tuple[CriterionExplanation, ...]
    amount: AmountExplanation
    missing: tuple[ValueRead, ...] = field(default_factory=tuple)

    @property
    def met(self) -> int:
        return sum(c.state == "met" for c in self.criteria)

    @property
    def total(self) -> int:
        return len(self.criteria)


def _reads(columns: tuple[FrameColumn, ...], values: dict[str, Any]) -> tuple[ValueRead, ...]:
    d = load_dictionary()
    out = []
    for c in columns:
        f = d.field(c.field)
        out.append(
            ValueRead(
                column=c.name,
                field=c.field,
                label=f.label.zh,
                year=c.year if c.kind in ("yearly", "new") else (c.date.year if c.date else None),
                value=values.get(c.name),
                source=f.source,
            )
        )
    return tuple(out)


def _explain_one(
    con: duckdb.DuckDBPyConnection, cp: CompiledPolicy, ev: Evaluation, values: dict[str, Any]
) -> PolicyExplanation:
    checked_values = dict(zip([c.id for c in cp.checked], ev.values, strict=True))
    crits = []
    for c in cp.criteria:
        state = "to_confirm" if c.attested else STATE[checked_values[c.id]]
        crits.append(
            CriterionExplanation(
                c.id, c.label_zh, c.label_en, c.source, state, _reads(c.reads, values)
            )
        )
    raw_row = con.execute(
        exp.select(exp.alias_(cp.amount.copy(), "a"))
        .from_(FRAME)
        .where(exp.EQ(this=exp.column("uscc", quoted=True), expression=exp.Placeholder()))
        .sql(dialect=DIALECT),
        [ev.uscc],
    ).fetchone()
    raw = raw_row[0] if raw_row else None
    spec = cp.policy.amount
    amount = AmountExplanation(
        formula=spec.formula,
        reads=_reads(cp.amount_reads, values),
        computed_yuan=None if raw is None else Decimal(str(raw)),
        floor=spec.floor,
        cap=spec.cap,
        amount_fen=ev.amount_fen,
    )
    # "Needs data" lists what is missing only when missing data is the obstacle; a near
    # miss or a failure is explained by its failed criteria instead.
    missing: dict[str, ValueRead] = {}
    if ev.status == "needs_data":
        for ce in crits:
            if ce.state == "unknown":
                missing.update({r.column: r for r in ce.reads if r.missing})
        if ev.amount_fen is None:
            missing.update({r.column: r for r in amount.reads if r.missing})
    return PolicyExplanation(
        policy_id=cp.policy.id,
        version=cp.policy.version,
        title_zh=cp.policy.title.zh,
        title_en=cp.policy.title.en,
        delivery=cp.policy.delivery,
        status=ev.status,
        criteria=tuple(crits),
        amount=amount,
        missing=tuple(missing.values()),
    )


def explain_in(
    con: duckdb.DuckDBPyConnection, uscc: str, policies: list[CompiledPolicy]
) -> list[PolicyExplanation]:
    """Explain every policy for one enterprise, using the source relations in ``con``."""
    build_frame(con, requirements(policies), uscc=uscc)
    evaluations = evaluate_in(con, policies, rebuild_frame=False)
    if not evaluations and policies:
        raise NotFoundError(f"no enterprise with USCC {uscc} in this snapshot")
    columns: set[FrameColumn] = set()
    for cp in policies:
        columns |= cp.requirements
    values = frame_values(con, columns, uscc)
    by_id = {cp.policy.id: cp for cp in policies}
    return [_explain_one(con, by_id[ev.policy_id], ev, values) for ev in evaluations]


def explain(
    settings: Settings,
    uscc: str,
    policies: list[CompiledPolicy],
    *,
    snapshot_id: int | None = None,
) -> list[PolicyExplanation]:
    """Explain every given policy for one enterprise of a snapshot (default: the latest)."""
    code = validate(uscc, prefixes=None)
    store = ProfileStore(settings)
    sid = snapshot_id if snapshot_id is not None else store.latest_snapshot()
    con = duckdb.connect()
    try:
        attach_snapshot(con, store.snapshot_files(sid))
        return explain_in(con, code, policies)
    finally:
        con.close()
