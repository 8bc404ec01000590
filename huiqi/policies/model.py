"""A policy as a declarative object: legal metadata, criteria, amount, delivery, tests.

The YAML file format is this model; ``docs/policies.md`` documents every field and
a test fails when a field here is not documented there.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from huiqi import reference
from huiqi.policies.benefit_period import check_benefit_period
from huiqi.policies.documents import Document, check_documents, documents_list
from huiqi.policies.margin import parse_margin
from huiqi.policies.yamlmarks import OtherBaseNumeral

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
POLICY_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")

Delivery = Literal["auto", "confirm", "apply"]
Level = Literal["city", "district"]
Status = Literal["eligible", "near_miss", "needs_data", "not_eligible"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Chinese and English. A department writes its policy in Chinese: a text
    written in Chinese alone (``{zh: …}``, or a plain string) is shown in Chinese on the
    English pages too, as a document's name is (``documents.DocumentLabel``)."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _chinese_alone(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"zh": value, "en": value}
        if isinstance(value, dict) and "en" not in value and isinstance(value.get("zh"), str):
            return {**value, "en": value["zh"]}
        return value


class Source(_Strict):
    """The legal source of the policy."""

    document: str = Field(min_length=1)
    article: str | None = None
    url: str | None = None
    issued: dt.date | None = None


class Criterion(_Strict):
    """One condition an enterprise must meet.

    Either ``expr`` (checked against registry data) or ``attested: true`` (the
    enterprise confirms it, 告知承诺), never both.
    """

    id: str
    label: Text
    expr: str | None = None
    attested: bool = False
    scope: bool | None = None
    # A share of the threshold ("10%"; 0: never a near miss); None: the default, 20 %.
    margin: Decimal | None = None
    attainable: bool = False

    @field_validator("margin", mode="before")
    @classmethod
    def _percent(cls, v: Any) -> Any:
        return parse_margin(v)

    @field_validator("id")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"criterion id '{v}' must be snake_case (a-z, 0-9, _)")
        return v

    @model_validator(mode="after")
    def _expr_or_attested(self) -> Criterion:
        if self.attested and self.expr:
            raise ValueError("a criterion is either checked by 'expr' or 'attested', not both")
        if not self.attested and not self.expr:
            raise ValueError(
                "a criterion needs an 'expr', or 'attested: true' if no registry holds it"
            )
        if self.attested and (self.margin is not None or self.attainable):
            raise ValueError(
                "an attested criterion is never a near miss: remove 'margin' and 'attainable'"
            )
        if self.margin is not None and self.attainable:
            raise ValueError(
                "'margin' is for a numeric threshold, 'attainable' for a qualification:"
                " a criterion has one or the other"
            )
        if self.scope and (self.margin is not None or self.attainable):
            raise ValueError(
                "a scope criterion (whom the policy is for) is never a near miss: remove"
                " 'margin' and 'attainable', or 'scope: true'"
            )
        return self


def _whole_fen(value: Decimal | None) -> Decimal | None:
    """A yuan figure the ledger can hold: at most two decimals (the fen). A cap of
    900000.555 yuan would be truncated in the ledger's budget or break the catalogue."""
    if value is None:
        return None
    _sign, digits, exponent = value.as_tuple()
    # Exact, whatever the size: the digits beyond the second decimal must all be 0.
    if isinstance(exponent, int) and exponent < -2 and any(digits[exponent + 2 :]):
        raise ValueError(f"{value} yuan has fractions of a fen: write at most two decimals")
    return value


# The largest amount huiqi records is below 10^16 yuan (10^18 fen fits a 64-bit integer).
MAX_AMOUNT_DIGITS = 16
# The largest version number: the ledger's version columns are 32-bit integers.
MAX_VERSION = 2**31 - 1


_EXPONENT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+\s*$")


def _plain_yuan(value: Any) -> Any:
    """A yuan figure as plain digits: ``1e5`` (which YAML leaves as text) or ``1.0e+5``
    (which it reads as a number) is scientific notation, refused with the digits to write;
    ``true`` is no amount. Run before the type is checked."""
    if isinstance(value, bool):
        raise ValueError(
            f"{str(value).lower()} is not an amount; write a number of yuan, e.g. 500000"
        )
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else None
    if (isinstance(value, str) and _EXPONENT.match(value)) or (
        isinstance(exponent, int) and exponent > 0
    ):
        exact = Decimal(str(value).strip())
        if abs(exact) >= Decimal(10) ** MAX_AMOUNT_DIGITS:
            raise ValueError(
                f"{str(value).strip()} is scientific notation, and more than any amount: write"
                f" the amount in plain digits, less than {10**MAX_AMOUNT_DIGITS} yuan"
            )
        raise ValueError(
            f"{str(value).strip()} is scientific notation; money is exact: write the amount"
            f" in plain digits, {exact:f}"
        )
    return value


_EXAMPLES = {"version": 2, "data_year": 2025}


def _whole_number(value: Any, info: ValidationInfo) -> Any:
    """An integer key (``version``, ``data_year``) as YAML's integer: a quoted "2025" is
    text and 2025.0 has a decimal point; both are refused with what to write instead."""
    name = info.field_name
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, OtherBaseNumeral):
        digits = f": write {name}: {int(value)}" if value.isdigit() else ""
        raise ValueError(f"{value} is not a whole number in plain digits (no leading zero){digits}")
    if isinstance(value, str) and value.strip().isdigit():
        raise ValueError(
            f'"{value}" is text (it is in quotes), and {name} is a whole number:'
            f" write {name}: {value.strip()} without the quotes"
        )
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        raise ValueError(
            f"{value} is not a whole number as written: write {name}: {int(value)}"
            " without a decimal point"
        )
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    raise ValueError(
        f"{name} must be a whole number written in digits, e.g. {name}: {_EXAMPLES.get(name or '', 1)}, not {shown}"
    )


class Amount(_Strict):
    """How much an eligible enterprise receives, in yuan; rounded once to the fen (half up)."""

    formula: str
    # Above 0: a cap of 0 cuts every amount to 0.00, so the policy never pays (it was taken,
    # and lint then blamed the formula for giving "less than half a fen").
    cap: Decimal | None = Field(default=None, gt=0, lt=Decimal(10) ** MAX_AMOUNT_DIGITS)
    # Below the largest amount recorded: at or above it, every amount would be an error
    # (and a floor beyond the rule's 38 digits could not even be compared with one).
    floor: Decimal | None = Field(default=None, ge=0, lt=Decimal(10) ** MAX_AMOUNT_DIGITS)
    rounding: Literal["half_up"] = "half_up"

    _fen = field_validator("cap", "floor")(_whole_fen)
    _plain = field_validator("cap", "floor", mode="before")(_plain_yuan)

    @field_validator("formula", mode="before")
    @classmethod
    def _number_is_a_formula(cls, value: Any) -> Any:
        """A fixed amount written as a YAML number (``formula: 200000``) is the formula
        of that number: YAML loads it as an integer or a Decimal, never a float
        (``yamlmarks``), so its text is the digits as written (``1e5`` then meets the
        rule language's own refusal of exponents). ``true`` stays refused."""
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value)
        return value

    @model_validator(mode="after")
    def _floor_below_cap(self) -> Amount:
        if self.cap is not None and self.floor is not None and self.floor > self.cap:
            # At the floor's line: the amount as a whole is fine, one of its bounds is not.
            raise ValueError(
                f"@floor: floor {self.floor} exceeds cap {self.cap}: no amount is at least the"
                f" floor and at most the cap; lower the floor to at most {self.cap}, or raise"
                f" the cap to at least {self.floor}"
            )
        return self


class Expectation(_Strict):
    """What a test case expects."""

    status: Status
    # An amount is never negative: no run can give -5.00, so the case could only fail.
    amount: Decimal | None = Field(default=None, ge=0)
    failing: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)

    # An amount is granted to the fen: an expected 30000.001 could never be the result,
    # and the runner would round it to 30000.00 and pass.
    _fen = field_validator("amount")(_whole_fen)
    _plain = field_validator("amount", mode="before")(_plain_yuan)

    @model_validator(mode="after")
    def _consistent(self) -> Expectation:
        if self.status == "eligible" and self.amount is None:
            raise ValueError("an eligible test case must state its exact 'amount'")
        if self.status in ("near_miss", "not_eligible") and not self.failing:
            raise ValueError(f"a '{self.status}' test case must name the 'failing' criteria")
        # An explicit 'unknown: []' is the case where every criterion is known and only
        # the amount formula lacks data (a CASE over size_class, say).
        if self.status == "needs_data" and "unknown" not in self.model_fields_set:
            raise ValueError(
                "a 'needs_data' test case must name the 'unknown' criteria, or write"
                " 'unknown: []' when every criterion is known and only the amount formula"
                " lacks data"
            )
        return self


class TestCase(_Strict):
    """A hand-made enterprise profile and the result the policy must give for it."""

    __test__ = False  # not a pytest class

    name: str = Field(min_length=1)
    profile: dict[str, Any]
    # Other enterprises of the case (each with its uscc): those its relations or contracts
    # name, with the figures a group total adds up. The case's result is the profile's.
    others: list[dict[str, Any]] = []
    expect: Expectation


@functools.cache
def district_codes() -> frozenset[str]:
    """The division codes of Shanghai's districts today (huiqi/reference/districts.yaml)."""
    return frozenset(str(code) for code in reference.load("districts")["codes"])


class Policy(_Strict):
    """One version of one policy, exactly as its YAML file declares it."""

    id: str
    version: int = Field(ge=1, le=MAX_VERSION)
    title: Text
    summary: Text | None = None
    department: Text
    contact: str | None = None
    level: Level
    region: str
    source: Source
    valid_from: dt.date
    valid_to: dt.date
    delivery: Delivery
    data_year: int = Field(ge=2000, le=2100)
    as_of: dt.date | None = None
    criteria: list[Criterion] = Field(min_length=1)
    amount: Amount
    # Below the largest amount recorded: the ledger keeps fen in 64-bit integers, and
    # 10^23 yuan ended publishing in an OverflowError traceback.
    budget: Decimal | None = Field(default=None, gt=0, lt=Decimal(10) ** MAX_AMOUNT_DIGITS)
    budget_mode: Literal["first_come", "pro_rata"] = "first_come"
    per_enterprise_cap: Decimal | None = Field(
        default=None, gt=0, lt=Decimal(10) ** MAX_AMOUNT_DIGITS
    )
    cap_group: str | None = None
    exclusivity_group: str | None = None
    benefit_period: str | None = None
    tags: list[str] = Field(default_factory=list)
    # The materials an applicant attaches (申报材料); delivery 'apply' only (``documents``).
    documents: list[Document] = Field(default_factory=list)
    tests: list[TestCase] = Field(default_factory=list)

    _fen = field_validator("budget", "per_enterprise_cap")(_whole_fen)
    _plain = field_validator("budget", "per_enterprise_cap", mode="before")(_plain_yuan)
    _whole = field_validator("version", "data_year", mode="before")(_whole_number)
    _period = field_validator("benefit_period")(check_benefit_period)
    _documents = field_validator("documents", mode="before")(documents_list)

    @field_validator("id")
    @classmethod
    def _policy_id(cls, v: str) -> str:
        if not POLICY_ID_RE.match(v):
            raise ValueError(f"policy id '{v}' must be lower-case letters, digits, '-' or '_'")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not re.fullmatch(r"31\d{4}", v):
            raise ValueError(f"region '{v}' must be a 6-digit Shanghai division code (310000 city)")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> Policy:
        if self.valid_to < self.valid_from:
            raise ValueError(
                f"@valid_to: valid_to {self.valid_to} is before valid_from {self.valid_from}"
            )
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"@criteria: criterion ids must be unique; repeated: {dupes}")
        if self.delivery == "auto" and any(c.attested for c in self.criteria):
            raise ValueError(
                "@delivery: "
                "delivery 'auto' (免申即享) is impossible with an attested criterion: the enterprise"
                " must confirm it; use delivery 'confirm' or 'apply'"
            )
        check_documents(self.delivery, self.documents)
        if self.budget_mode == "pro_rata" and self.budget is None:
            # Without a budget there is nothing to share: every claim was granted in full,
            # silently, as first come.
            raise ValueError(
                "@budget_mode: budget_mode 'pro_rata' shares a budget out in proportion to"
                " the amounts, and this policy has no budget: set 'budget', or remove"
                " budget_mode"
            )
        if self.cap_group and self.per_enterprise_cap is None:
            raise ValueError("@cap_group: a cap_group needs per_enterprise_cap, the cap it shares")
        if self.level == "city" and self.region != "310000":
            raise ValueError("@region: a city-level policy has region 310000")
        if self.level == "district" and self.region == "310000":
            raise ValueError("@region: a district-level policy names its district code as region")
        if self.level == "district" and self.region not in district_codes():
            # 310199 matched no enterprise and reached no officer's scope, without a word.
            raise ValueError(
                f"@region: region '{self.region}' is not one of Shanghai's 16 districts;"
                f" district codes: {', '.join(sorted(district_codes()))}"
            )
        known = set(ids)
        for case in self.tests:
            for cid in [*case.expect.failing, *case.expect.unknown]:
                if cid not in known:
                    raise ValueError(
                        f"@tests.{self.tests.index(case)}.expect: test case '{case.name}'"
                        f" names unknown criterion '{cid}'"
                        + _unknown_id_hint(cid, known, {c.label.zh: c.id for c in self.criteria})
                    )
        return self

    @property
    def evaluation_date(self) -> dt.date:
        """The date qualifications and ages are judged on: ``as_of``, else 31 Dec of data_year."""
        return self.as_of or dt.date(self.data_year, 12, 31)

    @property
    def period(self) -> str:
        """The benefit period one grant covers: ``benefit_period``, else the year of valid_from."""
        return self.benefit_period or str(self.valid_from.year)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


def _unknown_id_hint(cid: str, known: set[str], labels: dict[str, str]) -> str:
    """What an unknown criterion id in a test case most likely is: ids joined by a Chinese
    input method's comma ([a，b] is one item in YAML), a misspelling of one, or a
    criterion's Chinese label; else the ids to choose from."""
    comma = next((c for c in cid if c in "，、"), None)
    if comma is not None:
        return f"; '{comma}' is a full-width comma: separate the ids with ', '"
    # failing: [研发占比] (QA, qa7): a label, or words of one, where the id belongs.
    by_label = labels.get(cid) or next(
        (i for label, i in labels.items() if len(cid) >= 2 and cid in label), None
    )
    close = [by_label] if by_label else difflib.get_close_matches(cid, sorted(known), n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; a test case names criteria by their ids: {', '.join(sorted(known))}"
