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


def values_json(reads: Iterable[ValueRead]) -> dict[str, Any]:
    return {r.column: jsonable(r.value) for r in reads}
