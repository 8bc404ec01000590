"""Related parties (关联方) and contract aggregates: the definition, in plain Python.

This module is the meaning of the rule functions ``contract_total``,
``unrelated_contract_total``, ``related_contract`` and ``group_total``. The reference
evaluator computes them here, one enterprise at a time; the DuckDB backend computes
the same in SQL when it builds the frame (``engine/duckdb/frame_links``), and the tests
assert that the two agree.

Related parties. Two enterprises A and B are related on a date d when, counting only
the relations valid on d (``valid_from <= d``, and ``valid_to`` empty or ``>= d``):

1. they are the same enterprise (a contract with oneself is never at arm's length);
2. one holds at least 25 % of the other directly (a ``shareholder`` relation with
   ``share_pct >= 25``);
3. a third party, an enterprise or a person, holds at least 25 % of each of them; or
4. they have the same legal representative (法定代表人).

Items 2 and 3 are the share test of the tax rules on related parties (国家税务总局公告
2016年第42号 第二条 (一): 25 %, also the threshold of 企业会计准则第36号's "significant
influence" practice); item 4 is the common-control test that subsidy rules apply to
vouchers. The relation is symmetric; it is not transitive (A-B and B-C do not make
A-C related). Only direct holdings count: a holding through a chain of companies, the
tax rule's 间接持股, needs the whole chain in the store and is not computed.
Directors, supervisors and senior managers are stored and shown but do not make two
enterprises related by themselves (the tax rule needs a majority of the board).
Relations are taken as complete: an enterprise with no relation recorded is related
to no one.

Contracts. ``contract_total(from, to, types...)`` is the sum of ``amount`` over the
contracts the enterprise bought (``uscc`` is the buyer) signed in [from, to], of those
types (none named: any type). ``unrelated_contract_total`` leaves out contracts whose
seller was related to the buyer on the signing date; ``related_contract`` says whether
there is one. Unknown is not zero: contract data *covers* a calendar year when the
snapshot holds at least one contract (of any enterprise) signed in that year; for a
period that touches a year not covered, all three are unknown. In a covered period an
enterprise with no contract has a total of 0 and no related contract. A total of
10^20 yuan or more is unknown (no real data reaches it; it bounds the arithmetic).

Group totals. ``group_total(field)`` adds the field over the enterprise and every
enterprise related to it on the date (default: the policy's as_of). It is unknown
when any member's value is unknown, including a related enterprise the store holds
no data for; a total of 10^4 times the field's largest value or more is unknown too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from huiqi.engine.compile.numeric import shape_of_field
from huiqi.engine.frame_columns import CONTRACT_DIGITS, GROUP_DIGITS, IDS, FrameColumn
from huiqi.profiles.dictionary import Dictionary, load_codelist, load_dictionary

if TYPE_CHECKING:
    from huiqi.engine.profile import RawProfile

SHARE_THRESHOLD = Decimal(25)
CONTRACT_LIMIT = Decimal(10) ** CONTRACT_DIGITS
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Relation:
    """One row of ``relations``: ``uscc``'s relation to ``party``."""

    uscc: str
    party: str
    party_kind: str  # enterprise | person
    relation: str
    share_pct: Decimal | None
    valid_from: dt.date
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def major_share(self) -> bool:
        return (
            self.relation == "shareholder"
            and self.share_pct is not None
            and self.share_pct >= SHARE_THRESHOLD
        )


@dataclass(frozen=True)
class Contract:
    """One row of ``contracts``: ``uscc`` bought from ``seller_uscc``."""

    uscc: str
    contract_id: str
    seller_uscc: str
    contract_type: str
    amount: Decimal
    signed_on: dt.date


class Population:
    """Every enterprise of a source with its relations and contracts, for the reference."""

    def __init__(
        self, profiles: Iterable[RawProfile], *, contract_years: set[int] | None = None
    ) -> None:
        """``contract_years``: the years the whole source holds contracts for, when the
        profiles are only part of it (one enterprise's neighbourhood); default, the years
        of the profiles' own contracts."""
        self.profiles = {p.uscc: p for p in profiles}
        self.relations = [r for p in self.profiles.values() for r in p.relations]
        self.of: dict[str, list[Relation]] = {}
        self.by_party: dict[str, list[Relation]] = {}
        for r in self.relations:
            self.of.setdefault(r.uscc, []).append(r)
            self.by_party.setdefault(r.party, []).append(r)
        self.contract_years = (
            contract_years
            if contract_years is not None
            else {c.signed_on.year for p in self.profiles.values() for c in p.contracts}
        )

    def related(self, a: str, b: str, day: dt.date) -> bool:
        """Whether ``a`` and ``b`` are related parties on ``day`` (the module's definition)."""
        if a == b:
            return True
        of_a = [r for r in self.of.get(a, []) if r.valid_on(day)]
        of_b = [r for r in self.of.get(b, []) if r.valid_on(day)]
        for r in of_a + of_b:
            if r.major_share and r.party_kind == "enterprise" and {r.uscc, r.party} == {a, b}:
                return True
        for ra in of_a:
            for rb in of_b:
                if ra.party != rb.party:
                    continue
                if ra.major_share and rb.major_share:
                    return True
                if ra.relation == rb.relation == "legal_representative":
                    return True
        return False

    def group(self, uscc: str, day: dt.date) -> set[str]:
        """The enterprise and every enterprise related to it on ``day``."""
        # Whoever shares a relation row with the enterprise; related() decides.
        own = self.of.get(uscc, [])
        candidates = {r.party for r in own if r.party_kind == "enterprise"}
        candidates |= {r.uscc for r in self.by_party.get(uscc, [])}
        candidates |= {o.uscc for r in own for o in self.by_party.get(r.party, [])}
        return {b for b in candidates if self.related(uscc, b, day)} | {uscc}

    def covered(self, start: dt.date, end: dt.date) -> bool:
        return all(y in self.contract_years for y in range(start.year, end.year + 1))


def contract_value(col: FrameColumn, prof: RawProfile, pop: Population) -> Any:
    """The value of a ``contracts`` frame column for one enterprise."""
    assert col.date is not None and col.until is not None
    if not pop.covered(col.date, col.until):
        return None
    chosen = [
        c
        for c in prof.contracts
        if col.date <= c.signed_on <= col.until and (not col.types or c.contract_type in col.types)
    ]
    function = col.field.removesuffix(IDS)
    if function == "related_contract":
        chosen = [c for c in chosen if pop.related(c.uscc, c.seller_uscc, c.signed_on)]
    if function == "unrelated_contract_total":
        chosen = [c for c in chosen if not pop.related(c.uscc, c.seller_uscc, c.signed_on)]
    if col.field.endswith(IDS):
        return sorted(c.contract_id for c in chosen)
    if function == "related_contract":
        return bool(chosen)
    total = sum((c.amount for c in chosen), Decimal("0.00"))
    return total if total < CONTRACT_LIMIT else None


def group_value(
    col: FrameColumn, prof: RawProfile, pop: Population, dictionary: Dictionary | None = None
) -> Any:
    """The value of a ``group`` frame column for one enterprise."""
    assert col.date is not None
    d = dictionary or load_dictionary()
    field = d.field(col.field)
    values = []
    for member in pop.group(prof.uscc, col.date):
        other = pop.profiles.get(member)
        if other is None:
            return None
        if col.year is None:
            value = other.static.get(col.field)
        else:
            value = other.years.get(col.year, {}).get(col.field)
        if value is None:
            return None
        values.append(value)
    shape = shape_of_field(field)
    assert shape is not None
    if field.type == "integer":
        total: Any = sum(values)
    else:
        total = sum((Decimal(v) for v in values), Decimal(0)).quantize(
            Decimal(1).scaleb(-shape.scale)
        )
    return total if abs(total) < 10 ** (shape.digits + GROUP_DIGITS) else None


_CONTRACT_LABELS = {
    "contract_total": ("合同金额合计", "Total of contracts"),
    "unrelated_contract_total": (
        "非关联方合同金额合计",
        "Total of contracts with unrelated sellers",
    ),
    "related_contract": ("存在关联方合同", "Has a contract with a related party"),
}


def link_field_json(col: FrameColumn, d: Dictionary) -> dict[str, Any]:
    """What a contracts or group column is, for a trace's ``fields`` map: its label says
    the period, the contract types or the date the group is taken on."""
    if col.kind == "contracts":
        assert col.date is not None and col.until is not None
        zh, en = _CONTRACT_LABELS[col.field]
        names = load_codelist("contract_types")
        types_zh = "、".join(names.label(t) for t in col.types) or "全部类型"
        types_en = ", ".join(names.label(t, "en") for t in col.types) or "any type"
        described: dict[str, Any] = {
            "field": col.field,
            "label": f"{zh}（{col.date}至{col.until}，{types_zh}）",
            "label_en": f"{en} ({col.date} to {col.until}, {types_en})",
            "type": "boolean" if col.field == "related_contract" else "money",
            "year": col.until.year,
            "source": "ai_platform",
            "period": [col.date.isoformat(), col.until.isoformat()],
            "contract_types": list(col.types),
        }
        if col.field != "related_contract":
            described["unit"] = "yuan"
        return described
    assert col.date is not None
    f = d.field(col.field)
    described = {
        "field": col.field,
        "label": f"{f.label.zh}（本企业及{col.date}的关联企业合计）",
        "label_en": f"{f.label.en} (the enterprise and its related enterprises on {col.date})",
        "type": f.type,
        "year": col.year,
        "source": f.source,
        "related_on": col.date.isoformat(),
    }
    if f.unit:
        described["unit"] = f.unit
    return described
