"""Which conditions an enterprise no longer meets: what a review flag records.

A record whose enterprise is no longer eligible on a new snapshot is flagged for an
officer (``huiqi.delivery.flags``). The officer needs to know why without looking the
enterprise up: this reads the engine's trace of the policy for that enterprise on that
snapshot (the same evaluation as matching, never a second one) and keeps, for each
criterion that now fails or lacks data, what the portal's explanation shows of it: its
id and labels, the rule, the values it read with their fields, and for a numeric
threshold the gap (``matching.shortfall.gap_json``: the enterprise's figure against the
threshold, and by how much it misses it, in both languages)::

    {"snapshot_id": 3, "status": "not_eligible",
     "criteria": [{"id": "revenue", "label": "营业收入不低于1000万元",
                   "label_en": "Revenue of at least 10 million yuan",
                   "expression": "revenue >= 10000000", "state": "not_met",
                   "values": {"revenue__2025": "8500000.00"},
                   "fields": {"revenue__2025": {"field": "revenue", "label": "营业收入",
                              "label_en": "Revenue", "type": "money", "year": 2025,
                              "source": "tax", "unit": "yuan"}},
                   "gap": {"field": "revenue", "op": ">=", "actual": "8500000.00",
                           "required": "10000000", ...,
                           "label": {"zh": "营业收入", "en": "Revenue"},
                           "figures": {"zh": "营业收入 850 万元，要求不低于 1,000 万元",
                                       "en": "Revenue 8,500,000 yuan, >= ..."}}}]}

That is the *full* form, which the flag's audit event sums up (``audit_summary``) and
pages show. The record stores only what the version cannot give back (``stored_form``):
each criterion's id and state, the enterprise's values, and a zero divisor's note, some
100 bytes a flag where the full form took about 1 KB (labels, rule and field descriptions
on every flagged record: a gigabyte at 10^6 flags)::

    {"snapshot_id": 3, "status": "not_eligible",
     "criteria": [{"id": "revenue", "state": "not_met",
                   "values": {"revenue__2025": "8500000.00"}}]}

:meth:`Conditions.complete` puts the rest back from the version's compiled criteria and
the dictionary when a page, the API or the CLI shows the flag (the gap is worked out again
from the values, by the same code as when flagging). A criterion stored whole, as flags
raised before the stored form were, is shown as it was stored.

A personal value (a founder's age or gender, ``personal`` in the dictionary) is not
copied: the criterion lists its column under ``withheld`` instead (a threshold on it has
no gap: ``thresholds`` never reads a personal field).

``status`` is the trace's (``not_eligible``, ``needs_data``, ``near_miss`` for a
pre-filled application whose one failing figure is close), or ``absent`` when the
enterprise is no longer in the snapshot at all (no trace, no criteria).

The thresholds of each criterion are parsed once per policy (``Conditions``), not once
per flagged record: a publish may flag thousands.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from huiqi.engine import CompiledPolicy, PolicyTrace
from huiqi.engine.tracing import field_descriptions
from huiqi.matching.shortfall import gap_json
from huiqi.matching.thresholds import Threshold, failing, gap_of, thresholds
from huiqi.profiles.dictionary import Dictionary, load_dictionary

ABSENT = "absent"  # the enterprise is not in the snapshot: no criterion to name
LOST_STATES = ("not_met", "unknown")
# A flag names the gap however far the figure is from its threshold (a near miss's margin
# says whether it is worth showing an enterprise; an officer wants the figure anyway).
ANY_DISTANCE = Decimal("Infinity")
# What a stored criterion keeps: what the version cannot give back.
STORED_KEYS = ("id", "state", "values", "withheld", "zero_divisor")


class Conditions:
    """The failing conditions of one policy version's traces (its thresholds parsed once)."""

    def __init__(self, cp: CompiledPolicy, dictionary: Dictionary | None = None) -> None:
        self.cp = cp
        self.dictionary = dictionary or load_dictionary()
        self._thresholds: dict[str, list[Threshold]] = {}
        self._fields: dict[str, Any] | None = None

    def _of(self, criterion_id: str) -> list[Threshold]:
        found = self._thresholds.get(criterion_id)
        if found is None:
            source = next((c.source for c in self.cp.criteria if c.id == criterion_id), None)
            parsed = (
                thresholds(source, self.cp.policy.data_year, self.dictionary) if source else None
            )
            found = self._thresholds[criterion_id] = parsed or []
        return found

    def detail(self, trace: PolicyTrace | None, snapshot_id: int) -> dict[str, Any]:
        """What a flag records of ``trace`` (None: the enterprise is not in the snapshot)."""
        if trace is None:
            return {"snapshot_id": snapshot_id, "status": ABSENT, "criteria": []}
        data = trace.to_json()
        fields = data.get("fields") or {}
        zero = {z["criterion"]: z.get("text") for z in data.get("zero_divisors") or ()}
        criteria = []
        for c in data["criteria"]:
            if c["state"] not in LOST_STATES:
                continue
            values = dict(c.get("values") or {})
            # A founder's age or gender is not copied onto the flag, which finance and park
            # operators read too: the criterion is named, its personal value withheld.
            withheld = sorted(col for col in values if self._personal(col, fields))
            shown = {col: v for col, v in values.items() if col not in withheld}
            entry: dict[str, Any] = {
                "id": c["id"],
                "label": c.get("label", ""),
                "label_en": c.get("label_en", ""),
                "expression": c.get("expression"),
                "state": c["state"],
                "values": shown,
                "fields": {col: fields[col] for col in shown if col in fields},
            }
            if withheld:
                entry["withheld"] = withheld
            gap = self._gap(c["id"], values, fields) if c["state"] == "not_met" else None
            if gap is not None:
                entry["gap"] = gap
            if c["id"] in zero:
                entry["zero_divisor"] = zero[c["id"]]
            criteria.append(entry)
        return {"snapshot_id": snapshot_id, "status": trace.status, "criteria": criteria}

    def complete(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The full form of a flag's stored conditions (:func:`stored_form`): each
        criterion's labels and rule from the version, its values' fields from the
        dictionary, a failing threshold's gap worked out again from its values. A
        criterion stored whole (a flag raised before the stored form) is left as it is."""
        criteria = []
        for c in stored.get("criteria") or ():
            if "label" in c:
                criteria.append(c)
                continue
            criteria.append(self._completed(c))
        return {**stored, "criteria": criteria}

    def _completed(self, c: dict[str, Any]) -> dict[str, Any]:
        if self._fields is None:
            self._fields = field_descriptions(self.cp, self.dictionary)
        fields = self._fields
        found = next((k for k in self.cp.criteria if k.id == c["id"]), None)
        values = dict(c.get("values") or {})
        entry: dict[str, Any] = {
            "id": c["id"],
            "label": found.label_zh if found else "",
            "label_en": found.label_en if found else "",
            "expression": found.source if found else None,
            "state": c["state"],
            "values": values,
            "fields": {col: dict(fields[col]) for col in values if col in fields},
        }
        if c.get("withheld"):
            entry["withheld"] = c["withheld"]
        gap = self._gap(c["id"], values, fields) if c["state"] == "not_met" else None
        if gap is not None:
            entry["gap"] = gap
        if c.get("zero_divisor") is not None:
            entry["zero_divisor"] = c["zero_divisor"]
        return entry

    def _personal(self, column: str, fields: dict[str, Any]) -> bool:
        name = str((fields.get(column) or {}).get("field", column.split("__")[0]))
        f = self.dictionary.get(name)
        return f is not None and f.personal

    def _gap(
        self, criterion_id: str, values: dict[str, Any], fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The failing threshold's figures as the trace read them, when it is one."""
        found = self._of(criterion_id)
        if not found:
            return None
        by_field: dict[tuple[str, int | None], Any] = {}
        for column, value in values.items():
            f = fields.get(column) or {}
            by_field[(str(f.get("field", column.split("__")[0])), f.get("year"))] = value
        lost = next((t for t in found if failing(t, by_field)), None)
        if lost is None:
            return None
        gap = gap_of(lost, by_field, ANY_DISTANCE, self.dictionary)
        if gap is None:
            return None
        # The figure's label and the figure against the threshold without the distance,
        # which a page words in its own language (web.gap_texts.shortfall_filter).
        labels = {"zh": gap.label_zh, "en": gap.label_en}
        return gap_json(gap) | {
            "label": labels,
            "figures": {"zh": gap.text_zh(), "en": gap.text_en()},
        }


def stored_form(detail: dict[str, Any]) -> dict[str, Any]:
    """What a flag's record stores of its conditions' full form: the rest is the version's
    (:meth:`Conditions.complete` puts it back)."""
    return {
        **detail,
        "criteria": [
            {k: c[k] for k in STORED_KEYS if k in c} for c in detail.get("criteria") or ()
        ],
    }


def audit_summary(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The failing conditions as the flag's audit event keeps them: each criterion's id
    and state, and a threshold's figures (the event stays small; the record has the rest)."""
    out = []
    for c in detail["criteria"]:
        entry = {"id": c["id"], "state": c["state"]}
        gap = c.get("gap")
        if gap:
            entry |= {"op": gap["op"], "actual": gap["actual"], "required": gap["required"]}
        out.append(entry)
    return out
