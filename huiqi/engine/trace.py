"""The one explanation type: a trace of how one policy was evaluated for one enterprise.

A ``PolicyTrace`` is a tree: the policy -> each criterion (its state and the values
it read, each with its field, label, registry and year) -> the amount's computation
(formula, values read, computed yuan, floor, cap, final fen) -> the status, "meets N
of M" and the data that is missing. Every backend builds it from its own evaluation
through ``tracing.TraceBuilder`` (never from a second implementation of the rules),
and
the CLI (``huiqi explain --json``), the delivery ledger (``Entitlement.explanation``,
``Grant.explanation``) and the web API all store or send its JSON form.

The JSON form (``to_json``; ``FORMAT`` names its version)::

    {"format": 1,
     "policy_id": "sh-stable-jobs-refund-2026", "version": 1, "content_hash": "9f2c…",
     "title": {"zh": "…", "en": "…"}, "delivery": "auto",
     "uscc": "91310115MA1K000011", "name": "…", "snapshot_id": 3,
     "status": "eligible", "met": 3, "total": 3, "failed": [], "unknown": [],
     "criteria": [
       {"id": "ui_paid", "label": "上一年度依法缴纳失业保险费", "label_en": "Paid …",
        "expression": "ui_premiums_paid > 0",
        "state": "met",                          # met | not_met | unknown | to_confirm
        "scope": false,                          # whom the policy is for (district…)
        "values": {"ui_premiums_paid__2025": "12345.60"}}],   # column -> value read
     "amount": {"formula": "0.6 * ui_premiums_paid",
                "values": {"ui_premiums_paid__2025": "12345.60"},
                "computed_yuan": "7407.360", "floor": null, "cap": "500000",
                "amount_fen": 740736},
     "fields": {"ui_premiums_paid__2025": {"field": "ui_premiums_paid", "label": "…",
                "label_en": "…", "type": "money", "year": 2025,
                "source": "social_insurance"}},  # one entry per column read
     "missing": ["insured_employees__2025"],   # columns whose absence left it unknown
     "zero_divisors": [                        # only when a ratio's divisor is 0 (needs data
       {"criterion": "rd_ratio",               # with nothing missing: division by 0 is
        "quotient": "rd_staff / employees",    # unknown); its text in both languages
        "divisor": "employees", "columns": ["employees"],
        "text": {"zh": "从业人员（employees）为0，无法计算 rd_staff / employees",
                 "en": "employees is 0: rd_staff / employees cannot be computed"}}],
     "error": "…"}   # only with status 'error': why (the amount too large, or the
                     # database's reason for a row it could not evaluate)

An explanation of one enterprise (``matching.service.explain_enterprise``) adds to a
near miss's failing criterion the key ``gap``: by how much it misses its threshold,
exact, in the field's unit (``matching.shortfall.gap_json``; docs/api.md).

Decimals (money included) are exact strings ("7407.360"), amounts integer fen,
dates ISO strings, never floats; ``fields[column].type`` says how to read a value
back. Keys are only ever added, never renamed or removed.

A policy that reads contracts (``contract_total(…)`` and its siblings) has one more key,
saying which contracts each contract column counted (null: the period is not covered,
the value is unknown); their columns' ``fields`` entries carry ``period`` and
``contract_types``, and a group total's ``related_on``::

     "contracts": {"unrelated_contract_total__c__20250101__20251231__corpus":
                   {"count": 2, "contract_ids": ["HT-2", "HT-7"]}}

The ledger stores the *ledger form* (``ledger_form``): the same JSON without what
is the same for every enterprise of a policy version (title, delivery mode, criterion
labels, expressions and scope flags, the formula, floor and cap, and ``fields``).
The version's frozen text has those; ``complete(stored, template)`` puts them back
from any full trace of the same version. At 100,000 grants it stores and encodes a
third of the bytes.

Delivery builds hundreds of thousands of traces and keeps only their JSON form, so
a trace *is* its JSON form, built once; the typed tree (``criteria``, ``amount``,
``missing``: ``CriterionTrace``, ``AmountTrace``, ``ValueRead``) is read from it
when asked for. Treat the JSON of a trace as read-only.

Example:
    >>> from decimal import Decimal
    >>> amount = AmountTrace("10000", (), Decimal(10000), None, None, 1000000)
    >>> t = PolicyTrace.of(policy_id="p", version=1, uscc="u", status="eligible",
    ...                    criteria=(), amount=amount)
    >>> PolicyTrace.from_json(t.to_json()) == t, t.to_json()["amount"]["amount_fen"]
    (True, 1000000)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Protocol

from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.ledger_form import ledger_form
from huiqi.engine.trace_parts import (
    AmountTrace,
    CriterionTrace,
    ValueRead,
    ZeroDivisor,
    decimal_of,
    decimal_text,
    from_jsonable,
    jsonable,
    values_json,
)

__all__ = [
    "FORMAT",
    "NAME",
    "STATE",
    "STATES",
    "AmountTrace",
    "Completer",
    "CriterionTrace",
    "PolicyTrace",
    "ValueRead",
    "ZeroDivisor",
    "from_jsonable",
    "jsonable",
]

FORMAT = 1
STATE = {True: "met", False: "not_met", None: "unknown"}
STATES = ("met", "not_met", "unknown", "to_confirm")
NAME = FrameColumn("static", "name")


class Completer(Protocol):
    """What puts a ledger-form trace's shared parts back (``tracing.TraceBuilder``)."""

    labels: tuple[str, ...]

    def complete(self, ledger: dict[str, Any]) -> dict[str, Any]: ...


class PolicyTrace:
    """How one policy was evaluated for one enterprise (see the module doc for the JSON).

    A trace built by ``TraceBuilder`` is built in its ledger form (what delivery stores)
    and its full JSON is made from the builder's shared parts only when first read: a
    bulk delivery of 100,000 grants never reads it.
    """

    __slots__ = ("__dict__", "_completer", "_json")

    def __init__(self, data: dict[str, Any]) -> None:
        self._json: dict[str, Any] | None = data
        self._completer: Completer | None = None
        # Read for every row of a bulk delivery: plain attributes, not properties.
        self.policy_id = str(data["policy_id"])
        self.uscc = str(data.get("uscc", ""))
        self.status = str(data["status"])
        self.amount_fen: int | None = data["amount"].get("amount_fen")

    @classmethod
    def in_ledger_form(cls, ledger: dict[str, Any], completer: Completer) -> PolicyTrace:
        """A trace from its ledger form; ``completer`` makes the full JSON when it is read."""
        trace = cls.__new__(cls)
        trace._json = None
        trace._completer = completer
        trace.__dict__["ledger"] = ledger  # the cached ``ledger``
        trace.policy_id = str(ledger["policy_id"])
        trace.uscc = str(ledger.get("uscc", ""))
        trace.status = str(ledger["status"])
        trace.amount_fen = ledger["amount"].get("amount_fen")
        return trace

    @property
    def _data(self) -> dict[str, Any]:
        data = self._json
        if data is None:
            assert self._completer is not None
            data = self._json = self._completer.complete(self.__dict__["ledger"])
        return data

    def labelled_states(self) -> tuple[tuple[str, str], ...]:
        """Each criterion's label (zh) and state, without making the full JSON."""
        if self._json is None and self._completer is not None:
            states = [c["state"] for c in self.__dict__["ledger"]["criteria"]]
            return tuple(zip(self._completer.labels, states, strict=True))
        return tuple((c.get("label", ""), c["state"]) for c in self._data["criteria"])

    # ------------------------------------------------------------------ building
    @classmethod
    def of(
        cls,
        *,
        policy_id: str,
        version: int,
        uscc: str,
        status: str,
        criteria: tuple[CriterionTrace, ...],
        amount: AmountTrace,
        missing: tuple[ValueRead, ...] = (),
        title_zh: str = "",
        title_en: str = "",
        delivery: str = "",
        content_hash: str | None = None,
        name: str | None = None,
        snapshot_id: int | None = None,
    ) -> PolicyTrace:
        """A trace from its typed parts."""
        fields: dict[str, Any] = {}
        for r in (*(r for c in criteria for r in c.reads), *amount.reads, *missing):
            fields.setdefault(r.column, r.field_json())
        return cls(
            {
                "format": FORMAT,
                "policy_id": policy_id,
                "version": version,
                "content_hash": content_hash,
                "title": {"zh": title_zh, "en": title_en},
                "delivery": delivery,
                "uscc": uscc,
                "name": name,
                "snapshot_id": snapshot_id,
                "status": status,
                "met": sum(c.state == "met" for c in criteria),
                "total": sum(c.state != "to_confirm" for c in criteria),
                "failed": [c.id for c in criteria if c.state == "not_met"],
                "unknown": [c.id for c in criteria if c.state == "unknown"],
                "criteria": [
                    {
                        "id": c.id,
                        "label": c.label_zh,
                        "label_en": c.label_en,
                        "expression": c.expression,
                        "state": c.state,
                        "scope": c.scope,
                        "values": values_json(c.reads),
                    }
                    for c in criteria
                ],
                "amount": {
                    "formula": amount.formula,
                    "values": values_json(amount.reads),
                    "computed_yuan": decimal_text(amount.computed_yuan),
                    "floor": decimal_text(amount.floor),
                    "cap": decimal_text(amount.cap),
                    "amount_fen": amount.amount_fen,
                },
                "fields": fields,
                "missing": [r.column for r in missing],
            }
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyTrace:
        """A trace from its JSON form (also one stored before ``fields`` existed)."""
        for key in ("policy_id", "version", "status", "criteria", "amount"):
            if key not in data:
                raise ValueError(f"not a policy trace: no '{key}'")
        return cls(dict(data))

    def to_json(self) -> dict[str, Any]:
        """The JSON form (read-only: it is the trace itself)."""
        return self._data

    @property
    def explanation(self) -> dict[str, Any]:
        """The JSON form (what explain prints and the API sends)."""
        return self._data

    @cached_property
    def ledger(self) -> dict[str, Any]:
        """What the ledger stores: the ledger form (see ``ledger_form``), made once."""
        return ledger_form(self._data)

    # ------------------------------------------------------------------ reading
    @property
    def version(self) -> int:
        return int(self._data["version"])

    @property
    def name(self) -> str | None:
        return self._data.get("name")

    @property
    def snapshot_id(self) -> int | None:
        return self._data.get("snapshot_id")

    @property
    def content_hash(self) -> str | None:
        return self._data.get("content_hash")

    @property
    def title_zh(self) -> str:
        return str((self._data.get("title") or {}).get("zh", ""))

    @property
    def title_en(self) -> str:
        return str((self._data.get("title") or {}).get("en", ""))

    @property
    def delivery(self) -> str:
        return str(self._data.get("delivery", ""))

    @property
    def met(self) -> int:
        return sum(c["state"] == "met" for c in self._data["criteria"])

    @property
    def total(self) -> int:
        """The criteria checked from data: attested ones (to confirm) are not counted, so
        an eligible enterprise meets all of them ("meets N of M" never reads as a miss)."""
        return sum(c["state"] != "to_confirm" for c in self._data["criteria"])

    @property
    def to_confirm(self) -> int:
        """The attested criteria the enterprise confirms itself when it accepts."""
        return sum(c["state"] == "to_confirm" for c in self._data["criteria"])

    @property
    def error(self) -> str | None:
        """Why the status is 'error' (None otherwise)."""
        return self._data.get("error")

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c["id"] for c in self._data["criteria"] if c["state"] == "not_met")

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(c["id"] for c in self._data["criteria"] if c["state"] == "unknown")

    def _read(self, column: str, value: Any) -> ValueRead:
        f = (self._data.get("fields") or {}).get(column) or {}
        kind = str(f.get("type", "string"))
        return ValueRead(
            column=column,
            field=str(f.get("field", column.split("__")[0])),
            label=str(f.get("label", "")),
            year=f.get("year"),
            value=from_jsonable(value, kind),
            source=str(f.get("source", "")),
            label_en=str(f.get("label_en", "")),
            type=kind,
            unit=f.get("unit"),
        )

    def _reads(self, values: Mapping[str, Any] | None) -> tuple[ValueRead, ...]:
        return tuple(self._read(col, v) for col, v in (values or {}).items())

    @cached_property
    def criteria(self) -> tuple[CriterionTrace, ...]:
        return tuple(
            CriterionTrace(
                id=c["id"],
                label_zh=c.get("label", ""),
                label_en=c.get("label_en", ""),
                expression=c.get("expression"),
                state=c["state"],
                reads=self._reads(c.get("values")),
                scope=bool(c.get("scope", False)),
            )
            for c in self._data["criteria"]
        )

    @cached_property
    def amount(self) -> AmountTrace:
        a = self._data["amount"]
        return AmountTrace(
            formula=a.get("formula", ""),
            reads=self._reads(a.get("values")),
            computed_yuan=decimal_of(a.get("computed_yuan")),
            floor=decimal_of(a.get("floor")),
            cap=decimal_of(a.get("cap")),
            amount_fen=a.get("amount_fen"),
        )

    @cached_property
    def missing(self) -> tuple[ValueRead, ...]:
        values: dict[str, Any] = {}
        for c in self._data["criteria"]:
            values.update(c.get("values") or {})
        values.update(self._data["amount"].get("values") or {})
        return tuple(self._read(col, values.get(col)) for col in self._data.get("missing", ()))

    @cached_property
    def zero_divisors(self) -> tuple[ZeroDivisor, ...]:
        """The ratios left unknown because their divisor is 0 (with status 'needs_data')."""
        return tuple(ZeroDivisor.from_json(z) for z in self._data.get("zero_divisors", ()))

    def _key(self) -> tuple[Any, ...]:
        return (
            self.policy_id,
            self.version,
            self.content_hash,
            self.title_zh,
            self.title_en,
            self.delivery,
            self.uscc,
            self.name,
            self.snapshot_id,
            self.status,
            self.criteria,
            self.amount,
            self.missing,
            self.zero_divisors,
        )

    def __eq__(self, other: object) -> bool:
        """Equal when every part is equal as a value (1.50 == 1.5 yuan)."""
        if not isinstance(other, PolicyTrace):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        crits = ", ".join(f"{c.id}={c.state}" for c in self.criteria)
        return (
            f"PolicyTrace({self.policy_id} v{self.version}, {self.uscc}, {self.status},"
            f" amount_fen={self.amount_fen}, [{crits}], amount={self.amount},"
            f" missing={[r.column for r in self.missing]})"
        )
