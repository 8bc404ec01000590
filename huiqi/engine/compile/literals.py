"""What the checker reads from a rule's literals: a constant's value, whether a range is
reversed, and the hint for a literal of the wrong kind (a date or a code written as a
number, a tag compared as text)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlglot import exp

from huiqi.engine.compile.types import Ty
from huiqi.policies.date_hint import day_meant
from huiqi.profiles.yesno import FALSE_WORDS, TRUE_WORDS


def constant_value(node: exp.Expression) -> Decimal | dt.date | None:
    """A number or DATE literal's value (``-5`` and ``DATE '2025-01-01'`` too), else None."""
    negative = isinstance(node, exp.Neg)
    inner = node.this if negative else node
    if isinstance(inner, exp.Literal) and not inner.is_string:
        try:
            number = Decimal(inner.name)
        except ArithmeticError:
            return None
        return -number if negative else number
    if (
        not negative
        and isinstance(node, exp.Cast)
        and node.to.is_type(exp.DataType.Type.DATE)
        and isinstance(node.this, exp.Literal)
    ):
        try:
            return dt.date.fromisoformat(node.this.name)
        except ValueError:
            return None
    return None


def literal_hint(ty: Ty, literal: exp.Expression) -> str:
    """What to write when a literal of the wrong kind meets a date or a text: a date in
    quotes ('2023-01-01') or a code written as a number (industry_class >= 6500)."""
    if ty.kind == "date" and isinstance(literal, exp.Sub):
        # registration_date >= 2020-01-01, without quotes: a subtraction (2018).
        day = _unquoted_day(literal)
        return f"; write a date as DATE '{day.isoformat()}'" if day else ""
    if not isinstance(literal, exp.Literal):
        return ""
    if ty.kind == "date" and literal.is_string:
        # '2025-01-01', and '2025/1/1' or '2025年1月1日' as a document writes it (QA, qa5).
        day = day_meant(literal.name)
        if day is None:
            return ""
        return f"; write a date as DATE '{day.isoformat()}'"
    if ty.kind == "boolean" and literal.is_string:
        # credit_dishonest = 'no' (QA, qa7): a yes/no field compares with TRUE or FALSE.
        word = literal.name.strip().lower()
        meant = "TRUE" if word in TRUE_WORDS else "FALSE" if word in FALSE_WORDS else None
        if meant is not None:
            return f"; a yes/no field takes TRUE or FALSE, without quotes: write {meant}"
    if ty.kind == "tags" and literal.is_string:
        return f"; test a tag with has_tag(tags, '{literal.name}')"
    if ty.kind in ("string", "enum") and not literal.is_string:
        return f"; the field holds text (codes too): write the value in single quotes, '{literal.name}'"
    if ty.numeric and literal.is_string:
        number = quoted_number(literal.name)
        if number is not None:
            return f"; the field holds a number: write it without quotes, in yuan for an amount: {number}"
    return ""


def _unquoted_day(node: exp.Sub) -> dt.date | None:
    """The day ``2020-01-01`` written without quotes means (read as 2020 - 01 - 01), else
    None."""
    parts = [node.expression]
    inner = node.this
    if not isinstance(inner, exp.Sub):
        return None
    parts[:0] = [inner.this, inner.expression]
    if not all(isinstance(p, exp.Literal) and not p.is_string for p in parts):
        return None
    year, month, day = (p.name for p in parts)
    if len(year) != 4 or not all(x.isdigit() for x in (year, month, day)):
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


# A figure in quotes as a policy's text writes it: 100, 1,000, 100万, 1.5亿元, 50元.
_FIGURE = re.compile(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万元|万|亿元|亿|元)?\s*")
_SCALES = {None: 1, "元": 1, "万": 10_000, "万元": 10_000, "亿": 100_000_000, "亿元": 100_000_000}


def quoted_number(text: str) -> str | None:
    """The number a quoted figure means ('100万' -> '1000000'), else None."""
    found = _FIGURE.fullmatch(text)
    if found is None:
        return None
    value = Decimal(found.group(1).replace(",", "")) * _SCALES[found.group(2)]
    return f"{value.normalize():f}"


def reversed_range(low: Decimal | dt.date | None, high: Decimal | dt.date | None) -> bool:
    """Whether ``BETWEEN low AND high`` names its bounds the wrong way round (both known)."""
    if isinstance(low, Decimal) and isinstance(high, Decimal):
        return low > high
    if isinstance(low, dt.date) and isinstance(high, dt.date):
        return low > high
    return False
