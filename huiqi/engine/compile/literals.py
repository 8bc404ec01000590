"""What the checker reads from a rule's literals: a constant's value, whether a range is
reversed, and the hint for a literal of the wrong kind (a date or a code written as a
number, a tag compared as text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlglot import exp

from huiqi.engine.compile.types import Ty


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
    if not isinstance(literal, exp.Literal):
        return ""
    if ty.kind == "date" and literal.is_string:
        try:
            day = dt.date.fromisoformat(literal.name)
        except ValueError:
            return ""
        return f"; write a date as DATE '{day.isoformat()}'"
    if ty.kind == "tags" and literal.is_string:
        return f"; test a tag with has_tag(tags, '{literal.name}')"
    if ty.kind in ("string", "enum") and not literal.is_string:
        return f"; the field holds text (codes too): write the value in single quotes, '{literal.name}'"
    return ""


def reversed_range(low: Decimal | dt.date | None, high: Decimal | dt.date | None) -> bool:
    """Whether ``BETWEEN low AND high`` names its bounds the wrong way round (both known)."""
    if isinstance(low, Decimal) and isinstance(high, Decimal):
        return low > high
    if isinstance(low, dt.date) and isinstance(high, dt.date):
        return low > high
    return False
