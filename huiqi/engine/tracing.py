"""Build ``PolicyTrace``s from a backend's evaluations and the frame values it read.

Every backend hands its ``Evaluation`` (status, amount, each criterion's value)
and the values of the columns the policy read to the same ``TraceBuilder``, so an
explanation cannot differ between backends except by what they evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from huiqi.engine.compile.divisors import Divisor, is_zero
from huiqi.engine.frame_columns import FrameColumn, counted_ids
from huiqi.engine.related import link_field_json
from huiqi.engine.results import Evaluation
from huiqi.engine.trace import FORMAT, NAME, STATE, PolicyTrace, jsonable
from huiqi.engine.trace_parts import ZeroDivisor
from huiqi.profiles.dictionary import Dictionary, load_dictionary

if TYPE_CHECKING:
    from huiqi.engine.compile.compiler import CompiledPolicy


# The head's keys a ledger form leaves out, and the per-enterprise keys between the
# head and the criteria (in the order of the full JSON).
_SHARED_KEYS = ("title", "delivery")
_ROW_KEYS = ("uscc", "name", "snapshot_id", "status", "met", "total", "failed", "unknown")


def _decimal_text(value: Any) -> str | None:
    return None if value is None else jsonable(value)


def _counted(ids: Any) -> dict[str, Any] | None:
    if ids is None:
        return None
    listed = [str(i) for i in ids]
    return {"count": len(listed), "contract_ids": listed}


def _field_json(col: FrameColumn, d: Dictionary) -> dict[str, Any]:
    if col.kind in ("contracts", "group"):
        return link_field_json(col, d)
    f = d.field(col.field)
    # A certificate column says whether one is held (or new): a boolean, whatever the field.
    kind = "boolean" if col.kind in ("held", "new") else f.type
    year = col.year if col.kind in ("yearly", "new") else (col.date.year if col.date else None)
    described = {
        "field": col.field,
        "label": f.label.zh,
        "label_en": f.label.en,
        "type": kind,
        "year": year,
        "source": f.source,
    }
    if f.unit and col.kind in ("static", "yearly"):
        described["unit"] = f.unit  # shown with the value: 1200 tce, 350 m2
    return described


def field_descriptions(cp: CompiledPolicy, d: Dictionary | None = None) -> dict[str, Any]:
    """A trace's ``fields`` of ``cp``: each column its criteria and formula read, described
    (field, labels, type, year, source, unit), as every trace of the version has them."""
    d = d or load_dictionary()
    out: dict[str, Any] = {}
    for col in [r for c in cp.criteria for r in c.reads] + list(cp.amount_reads):
        out.setdefault(col.name, _field_json(col, d))
    return out


def trace_columns(cp: CompiledPolicy) -> set[FrameColumn]:
    """The frame columns a trace of ``cp`` reads: what its rules read, the enterprise's
    name, and the ids of the contracts each contract column counted."""
    ids = {counted_ids(c) for c in cp.requirements}
    return {*cp.requirements, NAME, *(c for c in ids if c is not None)}


class TraceBuilder:
    """Builds the traces of one compiled policy from evaluations and the values read.

    Everything that is the same for every enterprise (labels, expressions, the
    ``fields`` map, the title) is prepared once per policy and shared by the traces
    (read-only), so that a trace per enterprise (delivery builds hundreds of
    thousands) costs only the per-row work.
    """

    def __init__(
        self,
        cp: CompiledPolicy,
        *,
        snapshot_id: int | None = None,
        dictionary: Dictionary | None = None,
    ) -> None:
        d = dictionary or load_dictionary()
        policy = cp.policy
        self.cp = cp
        self.snapshot_id = snapshot_id
        self._checked = [c.id for c in cp.checked]
        self._criteria = [
            (
                c.id,
                {
                    "id": c.id,
                    "label": c.label_zh,
                    "label_en": c.label_en,
                    "expression": c.source,
                },
                c.scope,
                c.attested,
                tuple(r.name for r in c.reads),
            )
            for c in cp.criteria
        ]
        self._amount_columns = tuple(r.name for r in cp.amount_reads)
        self._counted = tuple(
            (c.name, ids.name)
            for c in sorted(cp.requirements)
            if (ids := counted_ids(c)) is not None
        )
        self._fields: dict[str, Any] = field_descriptions(cp, d)
        spec = policy.amount
        self._amount = (spec.formula, _decimal_text(spec.floor), _decimal_text(spec.cap))
        self._head = {
            "format": FORMAT,
            "policy_id": policy.id,
            "version": policy.version,
            "content_hash": cp.source_hash,
            "title": {"zh": policy.title.zh, "en": policy.title.en},
            "delivery": policy.delivery,
        }
        self._ledger_head = {k: v for k, v in self._head.items() if k not in _SHARED_KEYS}
        # Per criterion: its id, where its value is in an evaluation's (None: attested,
        # always to confirm) and the columns it read.
        at = {cid: i for i, cid in enumerate(self._checked)}
        self._per_row = [
            (cid, None if attested else at[cid], columns)
            for cid, _, _, attested, columns in self._criteria
        ]
        # Per criterion with quotients: each divisor and what the trace says when it is 0.
        self._divisors: dict[str, tuple[tuple[Divisor, dict[str, Any]], ...]] = {
            c.id: tuple((d, self._zero_json(c.id, d)) for d in c.divisors)
            for c in cp.criteria
            if c.divisors
        }
        self.labels: tuple[str, ...] = tuple(c.label_zh for c in cp.criteria)
        self._name = NAME.name  # a property that formats the name: read once, not per row

    def _zero_json(self, cid: str, d: Divisor) -> dict[str, Any]:
        one = self._fields.get(d.columns[0], {}) if len(d.columns) == 1 else {}
        # The field's label when the divisor is that field alone (employees, insured_employees[-1]).
        alone = one.get("field") and d.divisor.split("[")[0] == one["field"]
        label = str(one.get("label") or "") if alone else ""
        return ZeroDivisor.of(cid, d.quotient, d.divisor, d.columns, label).to_json()

    def build(self, ev: Evaluation, values: Mapping[str, Any]) -> PolicyTrace:
        """The trace of ``ev``; ``values`` maps frame column names to what was read.

        Built in its ledger form (``ledger_form``: the per-enterprise parts only); the
        full JSON is put together from the shared parts when read (:meth:`complete`).
        """
        states = ev.values
        criteria: list[dict[str, Any]] = []
        failed: list[str] = []
        unknown: list[str] = []
        missing: dict[str, None] = {}
        zeros: list[dict[str, Any]] = []
        met = 0
        for cid, at, columns in self._per_row:
            state = "to_confirm" if at is None else STATE[states[at]]
            if state == "met":
                met += 1
            elif state == "not_met":
                failed.append(cid)
            elif state == "unknown":
                unknown.append(cid)
                missing.update((c, None) for c in columns if values.get(c) is None)
                # Known values can leave a ratio unknown too: its divisor is 0.
                for d, said in self._divisors.get(cid, ()):
                    if is_zero(d, values):
                        zeros.append(said)
            criteria.append(
                {
                    "id": cid,
                    "state": state,
                    "values": {c: jsonable(values.get(c)) for c in columns},
                }
            )
        if ev.amount_fen is None:
            missing.update((c, None) for c in self._amount_columns if values.get(c) is None)
        name = values.get(self._name)
        ledger = {
            **self._ledger_head,
            "uscc": ev.uscc,
            "name": name if isinstance(name, str) else None,
            "snapshot_id": self.snapshot_id,
            "status": ev.status,
            "met": met,
            "total": len(criteria),
            "failed": failed,
            "unknown": unknown,
            "criteria": criteria,
            "amount": {
                "values": {c: jsonable(values.get(c)) for c in self._amount_columns},
                "computed_yuan": _decimal_text(ev.amount_yuan),
                "amount_fen": ev.amount_fen,
            },
            # Which contracts each contract column counted (null: the period is unknown).
            **(
                {"contracts": {c: _counted(values.get(i)) for c, i in self._counted}}
                if self._counted
                else {}
            ),
            # "Needs data" lists what is missing only when missing data is the
            # obstacle; a near miss or a failure is explained by its failed criteria.
            "missing": list(missing) if ev.status == "needs_data" else [],
            # What is known but cannot be computed: a divisor that is 0 (only when present).
            **({"zero_divisors": zeros} if zeros and ev.status == "needs_data" else {}),
            **({"error": ev.error} if ev.error else {}),
        }
        return PolicyTrace.in_ledger_form(ledger, self)

    def complete(self, ledger: dict[str, Any]) -> dict[str, Any]:
        """The full JSON of a trace this builder built in ledger form: the shared parts
        (title, labels, expressions, scope, formula, floor, cap, ``fields``) put back,
        every key in its place."""
        formula, floor, cap = self._amount
        amount = ledger["amount"]
        out = {
            **self._head,
            **{k: ledger[k] for k in _ROW_KEYS},
            "criteria": [
                {**static, "state": c["state"], "scope": scope, "values": c["values"]}
                for (_, static, scope, _, _), c in zip(
                    self._criteria, ledger["criteria"], strict=True
                )
            ],
            "amount": {
                "formula": formula,
                "values": amount["values"],
                "computed_yuan": amount["computed_yuan"],
                "floor": floor,
                "cap": cap,
                "amount_fen": amount["amount_fen"],
            },
            "fields": self._fields,
        }
        for key in ("contracts", "missing", "zero_divisors", "error"):
            if key in ledger:
                out[key] = ledger[key]
        return out
