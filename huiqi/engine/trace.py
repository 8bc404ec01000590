"""The one explanation type: a trace of how one policy was evaluated for one enterprise.

A ``PolicyTrace`` is a tree: the policy -> each criterion (its state and the values
it read, each with its field, label, registry and year) -> the amount's computation
(formula, values read, computed yuan, floor, cap, final fen) -> the status, "meets N
of M" and the data that is missing. Every backend builds it from its own evaluation
through ``TraceBuilder`` (never from a second implementation of the rules), and
the CLI (``huiqi explain --json``), the delivery ledger (``Entitlement.explanation``,
``Grant.explanation``) and the web API all store or send its JSON form.

The JSON form (``to_json``; ``FORMAT`` names its version)::

    {"format": 1,
     "policy_id": "sh-stable-jobs-refund-2025", "version": 1, "content_hash": "9f2c…",
     "title": {"zh": "…", "en": "…"}, "delivery": "auto",
     "uscc": "91310115MA1K000011", "name": "…", "snapshot_id": 3,
     "status": "eligible", "met": 4, "total": 4, "failed": [], "unknown": [],
     "criteria": [
       {"id": "insured", "label": "参保", "label_en": "Insured", "expression": "…",
        "state": "met",                            # met | not_met | unknown | to_confirm
        "scope": false,
        "values": {"insured_employees__2024": 12},  # column -> value, as in "reads"
        "reads": [{"column": "insured_employees__2024", "field": "insured_employees",
                   "label": "…", "label_en": "…", "type": "integer", "year": 2024,
                   "value": 12, "source": "social_insurance"}]}],
     "amount": {"formula": "0.5 * ui_premiums_paid", "values": {…}, "reads": […],
                "computed_yuan": "12345.675", "floor": null, "cap": "500000",
                "amount_fen": 1234568},
     "missing": [<reads whose value is missing, for a needs-data status>]}

Money and other decimals are exact decimal strings ("12345.675"), amounts in fen
integers, dates ISO strings, never floats; ``type`` says how to read a value back
(``from_json`` needs nothing else). Keys are only ever added, never renamed.

Example:
    >>> t = PolicyTrace.from_json({"policy_id": "p", "version": 1, "uscc": "u",
    ...     "status": "needs_data", "criteria": [], "amount": {"formula": "10000"}})
    >>> PolicyTrace.from_json(t.to_json()) == t
    True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.results import Evaluation
from huiqi.profiles.dictionary import Dictionary, load_dictionary

if TYPE_CHECKING:
    from huiqi.engine.compile.compiler import CompiledPolicy

FORMAT = 1
STATE = {True: "met", False: "not_met", None: "unknown"}
STATES = ("met", "not_met", "unknown", "to_confirm")
NAME = FrameColumn("static", "name")


def jsonable(value: Any) -> Any:
    """The exact JSON form of a profile value: decimals as strings, dates ISO, no floats."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def from_jsonable(value: Any, kind: str) -> Any:
    """A value back from its JSON form, given the type of the field it was read from."""
    if value is None:
        return None
    if kind in ("money", "decimal"):
        return Decimal(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "tags":
        return list(value)
    return value


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _from_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class ValueRead:
    """One frame column a criterion or the amount read, and where its value came from."""

    column: str
    field: str
    label: str
    year: int | None
    value: Any
    source: str
    label_en: str = ""
    type: str = "string"

    @property
    def missing(self) -> bool:
        return self.value is None

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "field": self.field,
            "label": self.label,
            "label_en": self.label_en,
            "type": self.type,
            "year": self.year,
            "value": jsonable(self.value),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ValueRead:
        kind = str(data.get("type", "string"))
        return cls(
            column=data["column"],
            field=data["field"],
            label=data.get("label", ""),
            year=data.get("year"),
            value=from_jsonable(data.get("value"), kind),
            source=data.get("source", ""),
            label_en=data.get("label_en", ""),
            type=kind,
        )


def _reads_json(reads: tuple[ValueRead, ...]) -> list[dict[str, Any]]:
    return [r.to_json() for r in reads]


def _reads_from(data: Any) -> tuple[ValueRead, ...]:
    return tuple(ValueRead.from_json(r) for r in data or ())


@dataclass(frozen=True)
class CriterionTrace:
    id: str
    label_zh: str
    label_en: str
    expression: str | None
    state: str  # met | not_met | unknown | to_confirm
    reads: tuple[ValueRead, ...]
    scope: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label_zh,
            "label_en": self.label_en,
            "expression": self.expression,
            "state": self.state,
            "scope": self.scope,
            "values": {r.column: jsonable(r.value) for r in self.reads},
            "reads": _reads_json(self.reads),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CriterionTrace:
        return cls(
            id=data["id"],
            label_zh=data.get("label", ""),
            label_en=data.get("label_en", ""),
            expression=data.get("expression"),
            state=data["state"],
            reads=_reads_from(data.get("reads")),
            scope=bool(data.get("scope", False)),
        )


@dataclass(frozen=True)
class AmountTrace:
    """The amount: the formula's value in yuan, clamped to [floor, cap], rounded to the fen."""

    formula: str
    reads: tuple[ValueRead, ...]
    computed_yuan: Decimal | None
    floor: Decimal | None
    cap: Decimal | None
    amount_fen: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "formula": self.formula,
            "values": {r.column: jsonable(r.value) for r in self.reads},
            "reads": _reads_json(self.reads),
            "computed_yuan": _decimal(self.computed_yuan),
            "floor": _decimal(self.floor),
            "cap": _decimal(self.cap),
            "amount_fen": self.amount_fen,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AmountTrace:
        return cls(
            formula=data["formula"],
            reads=_reads_from(data.get("reads")),
            computed_yuan=_from_decimal(data.get("computed_yuan")),
            floor=_from_decimal(data.get("floor")),
            cap=_from_decimal(data.get("cap")),
            amount_fen=data.get("amount_fen"),
        )


@dataclass(frozen=True)
class PolicyTrace:
    """How one policy was evaluated for one enterprise (see the module doc for the JSON)."""

    policy_id: str
    version: int
    uscc: str
    status: str
    criteria: tuple[CriterionTrace, ...]
    amount: AmountTrace
    missing: tuple[ValueRead, ...] = ()
    title_zh: str = ""
    title_en: str = ""
    delivery: str = ""
    content_hash: str | None = None
    name: str | None = None
    snapshot_id: int | None = None

    @property
    def met(self) -> int:
        return sum(c.state == "met" for c in self.criteria)

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria if c.state == "not_met")

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria if c.state == "unknown")

    @property
    def amount_fen(self) -> int | None:
        return self.amount.amount_fen

    @cached_property
    def explanation(self) -> dict[str, Any]:
        """The JSON form, computed once (the ledger stores it; read it, do not change it)."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "policy_id": self.policy_id,
            "version": self.version,
            "content_hash": self.content_hash,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "delivery": self.delivery,
            "uscc": self.uscc,
            "name": self.name,
            "snapshot_id": self.snapshot_id,
            "status": self.status,
            "met": self.met,
            "total": self.total,
            "failed": list(self.failed),
            "unknown": list(self.unknown),
            "criteria": [c.to_json() for c in self.criteria],
            "amount": self.amount.to_json(),
            "missing": _reads_json(self.missing),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyTrace:
        title = data.get("title") or {}
        return cls(
            policy_id=data["policy_id"],
            version=int(data["version"]),
            uscc=data.get("uscc", ""),
            status=data["status"],
            criteria=tuple(CriterionTrace.from_json(c) for c in data.get("criteria", ())),
            amount=AmountTrace.from_json(data["amount"]),
            missing=_reads_from(data.get("missing")),
            title_zh=title.get("zh", ""),
            title_en=title.get("en", ""),
            delivery=data.get("delivery", ""),
            content_hash=data.get("content_hash"),
            name=data.get("name"),
            snapshot_id=data.get("snapshot_id"),
        )


@dataclass(frozen=True)
class _ReadSpec:
    column: str
    field: str
    label: str
    label_en: str
    year: int | None
    source: str
    type: str

    def read(self, values: Mapping[str, Any]) -> ValueRead:
        return ValueRead(
            self.column,
            self.field,
            self.label,
            self.year,
            values.get(self.column),
            self.source,
            self.label_en,
            self.type,
        )


def _spec(col: FrameColumn, d: Dictionary) -> _ReadSpec:
    f = d.field(col.field)
    # A certificate column says whether one is held (or new): a boolean, whatever the field.
    kind = "boolean" if col.kind in ("held", "new") else f.type
    year = col.year if col.kind in ("yearly", "new") else (col.date.year if col.date else None)
    return _ReadSpec(col.name, col.field, f.label.zh, f.label.en, year, f.source, kind)


@dataclass
class TraceBuilder:
    """Builds the traces of one compiled policy from evaluations and the values read.

    The labels, sources and years of the columns are looked up once per policy, so
    that building a trace per enterprise (delivery builds hundreds of thousands) is
    only the per-row work.
    """

    cp: CompiledPolicy
    snapshot_id: int | None = None
    dictionary: Dictionary = field(default_factory=load_dictionary)

    def __post_init__(self) -> None:
        d = self.dictionary
        self._criteria = [(c, tuple(_spec(r, d) for r in c.reads)) for c in self.cp.criteria]
        self._amount = tuple(_spec(r, d) for r in self.cp.amount_reads)

    def build(self, ev: Evaluation, values: Mapping[str, Any]) -> PolicyTrace:
        """The trace of ``ev``; ``values`` maps frame column names to what was read."""
        cp, policy = self.cp, self.cp.policy
        by_id = dict(zip((c.id for c in cp.checked), ev.values, strict=True))
        criteria = tuple(
            CriterionTrace(
                c.id,
                c.label_zh,
                c.label_en,
                c.source,
                "to_confirm" if c.attested else STATE[by_id[c.id]],
                tuple(s.read(values) for s in specs),
                c.scope,
            )
            for c, specs in self._criteria
        )
        spec = policy.amount
        amount = AmountTrace(
            formula=spec.formula,
            reads=tuple(s.read(values) for s in self._amount),
            computed_yuan=ev.amount_yuan,
            floor=spec.floor,
            cap=spec.cap,
            amount_fen=ev.amount_fen,
        )
        # "Needs data" lists what is missing only when missing data is the obstacle; a
        # near miss or a failure is explained by its failed criteria instead.
        missing: dict[str, ValueRead] = {}
        if ev.status == "needs_data":
            for ct in criteria:
                if ct.state == "unknown":
                    missing.update({r.column: r for r in ct.reads if r.missing})
            if ev.amount_fen is None:
                missing.update({r.column: r for r in amount.reads if r.missing})
        name = values.get(NAME.name)
        return PolicyTrace(
            policy_id=policy.id,
            version=policy.version,
            uscc=ev.uscc,
            status=ev.status,
            criteria=criteria,
            amount=amount,
            missing=tuple(missing.values()),
            title_zh=policy.title.zh,
            title_en=policy.title.en,
            delivery=policy.delivery,
            content_hash=cp.source_hash,
            name=name if isinstance(name, str) else None,
            snapshot_id=self.snapshot_id,
        )
