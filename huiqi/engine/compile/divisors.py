"""The divisors of a criterion, so that an explanation can say why a ratio is unknown.

Division by zero is unknown by design (``guard_division``, ``ratios``): an enterprise
with ``employees = 0`` needs data for ``rd_staff / employees >= 0.1``, although no value
is missing. Lowering notes each quotient of a criterion (``mark_quotients`` on the parsed
tree: its rule text; ``divisors_of`` once fields are frame columns: its divisor over
frame columns and literals), and the trace builder (``engine.tracing``) names the
divisors that are 0 with ``is_zero`` on the values the criterion read, so the
explanation says "employees is 0: rd_staff / employees cannot be computed" instead of
asking for data the enterprise cannot supply.

Example:
    >>> from huiqi.engine.compile.parse import parse_rule
    >>> tree = mark_quotients(parse_rule("rd_staff / employees >= 0.1"))
    >>> [(d.quotient, d.divisor, d.columns) for d in divisors_of(tree)]
    [('rd_staff / employees', 'employees', ('employees',))]
    >>> is_zero(divisors_of(tree)[0], {"employees": 0}), is_zero(divisors_of(tree)[0], {})
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

_QUOTIENT = "huiqi_quotient"
_DIVISOR = "huiqi_divisor"


@dataclass(frozen=True)
class Divisor:
    """One quotient of a criterion: its rule text, its divisor's, and the divisor lowered."""

    quotient: str  # "rd_staff / employees"
    divisor: str  # "employees"
    tree: exp.Expression  # the divisor over frame columns and literals
    columns: tuple[str, ...]  # the frame columns it reads


def _bare(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def mark_quotients(tree: exp.Expression) -> exp.Expression:
    """Note on every division of a parsed rule its text and its divisor's text."""
    for node in tree.find_all(exp.Div):
        node.meta[_QUOTIENT] = node.sql()
        node.meta[_DIVISOR] = _bare(node.expression).sql()
    return tree


def divisors_of(tree: exp.Expression) -> list[Divisor]:
    """The divisions ``mark_quotients`` marked, once their fields are frame columns."""
    out: dict[tuple[str, str], Divisor] = {}
    for node in tree.find_all(exp.Div):
        if _QUOTIENT not in node.meta:
            continue
        divisor = node.expression.copy()
        key = (node.meta[_QUOTIENT], divisor.sql())  # a rewrite may have copied a quotient
        columns = tuple(sorted({c.name for c in divisor.find_all(exp.Column)}))
        out.setdefault(key, Divisor(key[0], node.meta[_DIVISOR], divisor, columns))
    return list(out.values())


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _value(node: exp.Expression, values: Mapping[str, Any]) -> Decimal | None:
    """The exact value of plain arithmetic over columns and numbers; None otherwise."""
    if isinstance(node, exp.Paren):
        return _value(node.this, values)
    if isinstance(node, exp.Column):
        return _number(values.get(node.name))
    if isinstance(node, exp.Literal):
        return None if node.is_string else _number(node.name)
    if isinstance(node, exp.Neg):
        inner = _value(node.this, values)
        return None if inner is None else -inner
    if isinstance(node, exp.Coalesce):
        for part in (node.this, *node.expressions):
            if not isinstance(part, exp.Column) or values.get(part.name) is not None:
                return _value(part, values)
        return None
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        a, b = _value(node.this, values), _value(node.expression, values)
        if a is None or b is None:
            return None
        if isinstance(node, exp.Add):
            return a + b
        return a - b if isinstance(node, exp.Sub) else a * b
    return None  # another function, CASE …: not computed here


def is_zero(d: Divisor, values: Mapping[str, Any]) -> bool:
    """Whether the divisor is 0 with ``values`` (frame column -> value read); False when
    a value it needs is missing or it is more than plain arithmetic."""
    value = _value(d.tree, values)
    return value is not None and value == 0
