"""The parts of a trace (``huiqi.engine.trace``): the values a criterion or the amount
read, the criterion and amount records, and the exact JSON form of a profile value
(decimals as strings, dates ISO, never floats)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_PLAIN = (str, int, bool, type(None))


def jsonable(value: Any) -> Any:
    """The exact JSON form of a profile value: decimals as strings, dates ISO, no floats."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Decimal):
        text = str(value)
        return format(value, "f") if "E" in text else text
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


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else jsonable(value)


def decimal_of(value: str | None) -> Decimal | None:
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
    unit: str | None = None

    @property
    def missing(self) -> bool:
        return self.value is None

    def field_json(self) -> dict[str, Any]:
        """The column's entry in the JSON ``fields`` map (everything but the value)."""
        described = {
            "field": self.field,
            "label": self.label,
            "label_en": self.label_en,
            "type": self.type,
            "year": self.year,
            "source": self.source,
        }
        if self.unit:
            described["unit"] = self.unit
        return described


@dataclass(frozen=True)
class CriterionTrace:
    id: str
    label_zh: str
    label_en: str
    expression: str | None
    state: str  # met | not_met | unknown | to_confirm
    reads: tuple[ValueRead, ...]
    scope: bool = False


@dataclass(frozen=True)
class AmountTrace:
    """The amount: the formula's value in yuan, clamped to [floor, cap], rounded to the fen."""

    formula: str
    reads: tuple[ValueRead, ...]
    computed_yuan: Decimal | None
    floor: Decimal | None
    cap: Decimal | None
    amount_fen: int | None


@dataclass(frozen=True)
class ZeroDivisor:
    """A quotient an unknown criterion could not compute because its divisor is 0
    (division by zero is unknown): not missing data, so nothing to ask the enterprise for."""

    criterion: str
    quotient: str  # the rule's text: "rd_staff / employees"
    divisor: str  # "employees"
    columns: tuple[str, ...]  # the frame columns the divisor read
    text_zh: str  # "从业人员（employees）为0，无法计算 rd_staff / employees"
    text_en: str  # "employees is 0: rd_staff / employees cannot be computed"

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "quotient": self.quotient,
            "divisor": self.divisor,
            "columns": list(self.columns),
            "text": {"zh": self.text_zh, "en": self.text_en},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ZeroDivisor:
        text = data.get("text") or {}
        return cls(
            criterion=str(data["criterion"]),
            quotient=str(data.get("quotient", "")),
            divisor=str(data.get("divisor", "")),
            columns=tuple(data.get("columns") or ()),
            text_zh=str(text.get("zh", "")),
            text_en=str(text.get("en", "")),
        )

    @classmethod
    def of(
        cls, criterion: str, quotient: str, divisor: str, columns: tuple[str, ...], label: str
    ) -> ZeroDivisor:
        """The texts of a divisor; ``label``: the field's Chinese label when the divisor
        is one field (从业人员), else empty."""
        named = f"{label}（{divisor}）" if label else divisor
        return cls(
            criterion,
            quotient,
            divisor,
            columns,
            text_zh=f"{named}为0，无法计算 {quotient}",
            text_en=f"{divisor} is 0: {quotient} cannot be computed",
        )


def values_json(reads: Iterable[ValueRead]) -> dict[str, Any]:
    return {r.column: jsonable(r.value) for r in reads}
