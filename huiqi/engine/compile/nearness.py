"""Which failing criterion makes a near miss: the one definition every backend evaluates.

A *near miss* is a failure on exactly one **actionable** criterion, nothing unknown.
A criterion is actionable in one of two ways (``Nearness``):

* ``margin``  a numeric threshold the enterprise can move (R&D spend, revenue, insured
              staff), failed by at most the criterion's margin: 20 % of the threshold by
              default, ``margin: 10%`` in the policy to change it, ``margin: 0`` never;
* ``always``  a qualification the policy marks ``attainable: true`` (高新技术企业
              recognition the policy rewards): failing it is always "you miss only X".

Everything else is ``never``: whom the policy is for (district, industry, size class),
statuses (on the dishonest list, registration type, years since founding), personal
fields (a founder's age) and qualifications not marked attainable. A 失信 enterprise is
"not eligible", not "you miss only one thing".

A threshold is recognised in the rule as written, before lowering: ``X OP number``,
``X OP k * Y`` (a share of another figure: 3 % of revenue), ``X / Y OP k`` (the same
share written as a ratio, k > 0), ``X OP Y`` (more than the year before), ``X BETWEEN a
AND b`` and ANDs of them, where ``X`` and ``Y`` are numeric
fields of the dictionary (also ``COALESCE(field, n)`` and ``field[year]``) that are
neither scope nor personal. Its *relaxed* rule moves every threshold by the margin,
computed exactly in Decimal:

* ``X >= c`` / ``X > c``       ->  ``X >= c - m·|c|``
* ``X <= c`` / ``X < c``       ->  ``X <= c + m·|c|``
* ``X >= k·Y`` / ``X > k·Y``   ->  ``X >= (k - m·k)·Y AND Y > 0`` (a ratio exists only
  over a positive figure); ``<=`` / ``<`` with ``k + m·k``; ``X / Y OP k`` alike
* ``X BETWEEN a AND b``        ->  ``X BETWEEN a - m·|a| AND b + m·|b|``

A failing threshold criterion is a near-miss candidate exactly where its relaxed rule
is TRUE (unknown counts as not). A threshold of 0 has no margin: "rent paid > 0" with
nothing paid is not a near miss.

Example:
    >>> from huiqi.engine.compile.parse import parse_rule
    >>> relaxed_rule(parse_rule("revenue >= 1000000"), DEFAULT_MARGIN).sql()
    'revenue >= 800000.0'
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Literal

from sqlglot import exp

from huiqi.profiles.dictionary import Dictionary, load_dictionary

Nearness = Literal["never", "margin", "always"]
NEARNESS: tuple[Nearness, ...] = ("never", "margin", "always")

DEFAULT_MARGIN = Decimal("0.2")

# Exact arithmetic on thresholds of up to 38 digits and margins of a few.
_EXACT = decimal.Context(prec=100, traps=[decimal.Inexact, decimal.InvalidOperation])

_NUMERIC = frozenset({"integer", "money", "decimal"})
_RELAX_UP = (exp.GTE, exp.GT)
_RELAX_DOWN = (exp.LTE, exp.LT)
_FLIP: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.GTE: exp.LTE,
    exp.GT: exp.LT,
    exp.LTE: exp.GTE,
    exp.LT: exp.GT,
}


def _number(node: exp.Expression) -> Decimal | None:
    node = node.unnest()
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return Decimal(node.this)
        except decimal.InvalidOperation:
            return None
    return None


def _literal(value: Decimal) -> exp.Expression:
    text = exp.Literal.number(format(abs(value), "f"))
    return exp.Neg(this=text) if value < 0 else text


def _is_figure(node: exp.Expression, d: Dictionary) -> bool:
    """A numeric field an enterprise can move: ``field``, ``field[year]``, ``COALESCE(field, n)``."""
    node = node.unnest()
    if isinstance(node, exp.Coalesce) and len(node.expressions) == 1:
        if _number(node.expressions[0]) is None:
            return False
        node = node.this.unnest()
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        if _number(node.expressions[0]) is None:
            return False
        node = node.this
    if not isinstance(node, exp.Column) or node.table:
        return False
    f = d.get(node.name)
    return f is not None and f.type in _NUMERIC and not f.scope and not f.personal


def _share(node: exp.Expression, d: Dictionary) -> tuple[Decimal, exp.Expression] | None:
    """``k * Y``, ``Y * k`` or ``Y`` (k = 1) with k > 0: (k, Y); else None."""
    node = node.unnest()
    if _is_figure(node, d):
        return Decimal(1), node
    if isinstance(node, exp.Mul):
        for k_node, y in ((node.this, node.expression), (node.expression, node.this)):
            k = _number(k_node)
            if k is not None and k > 0 and _is_figure(y, d):
                return k, y.unnest()
    return None


def undivided(node: exp.Expression, d: Dictionary) -> exp.Expression:
    """``X / Y OP c`` (or ``c OP X / Y``) with c > 0 as the share ``X OP c * Y``, else
    ``node``: the ratio written with a division is the same threshold as the share of
    ``Y`` (they differ only where ``Y <= 0``, which the relaxed rule excludes)."""
    kind = type(node)
    if kind not in _FLIP:
        return node
    ratio, other = node.this.unnest(), node.expression
    if not isinstance(ratio, exp.Div):
        ratio, other, kind = other.unnest(), ratio, _FLIP[kind]
        if not isinstance(ratio, exp.Div):
            return node
    c = _number(other)
    x, y = ratio.this, ratio.expression
    if c is None or c <= 0 or not _is_figure(x, d) or not _is_figure(y, d):
        return node
    return kind(
        this=x.unnest().copy(), expression=exp.Mul(this=_literal(c), expression=y.unnest().copy())
    )


def _relax_comparison(
    node: exp.Expression, margin: Decimal, d: Dictionary
) -> tuple[exp.Expression, bool] | None:
    """The relaxed comparison and whether the margin widened it; None: not a threshold."""
    node = undivided(node, d)
    if isinstance(node, exp.Between):
        x, low, high = node.this, _number(node.args["low"]), _number(node.args["high"])
        if low is None or high is None or not _is_figure(x, d):
            return None
        lo = _EXACT.subtract(low, _EXACT.multiply(margin, abs(low)))
        hi = _EXACT.add(high, _EXACT.multiply(margin, abs(high)))
        relaxed = exp.Between(this=x.copy(), low=_literal(lo), high=_literal(hi))
        return relaxed, (lo, hi) != (low, high)
    kind = type(node)
    if kind not in _FLIP:
        return None
    x, other = node.this, node.expression
    if not _is_figure(x, d):
        x, other, kind = other, x, _FLIP[kind]
        if not _is_figure(x, d):
            return None
    up = kind in _RELAX_UP
    wide: type[exp.Expression] = exp.GTE if up else exp.LTE
    constant = _number(other)
    if constant is not None:
        width = _EXACT.multiply(margin, abs(constant))
        if width == 0:
            return node.copy(), False
        bound = _EXACT.subtract(constant, width) if up else _EXACT.add(constant, width)
        return wide(this=x.copy(), expression=_literal(bound)), True
    share = _share(other, d)
    if share is None:
        return None
    k, y = share
    width = _EXACT.multiply(margin, k)
    if width == 0:
        return node.copy(), False
    factor = _EXACT.subtract(k, width) if up else _EXACT.add(k, width)
    scaled = exp.Mul(this=_literal(factor), expression=y.copy())
    positive = exp.GT(this=y.copy(), expression=exp.Literal.number(0))
    return exp.and_(wide(this=x.copy(), expression=scaled), positive), True


def _parts(tree: exp.Expression) -> list[exp.Expression]:
    node = tree.unnest()
    return [p.unnest() for p in (node.flatten() if isinstance(node, exp.And) else [node])]


def is_threshold(tree: exp.Expression, dictionary: Dictionary | None = None) -> bool:
    """Whether the rule is a numeric threshold (or an AND of them), whatever its margin."""
    d = dictionary or load_dictionary()
    return all(_relax_comparison(p, Decimal(1), d) is not None for p in _parts(tree))


def relaxed_rule(
    tree: exp.Expression, margin: Decimal, dictionary: Dictionary | None = None
) -> exp.Expression | None:
    """The criterion's rule with every threshold moved by ``margin`` (a share of it).

    None when the criterion is not a numeric threshold (nor an AND of them), or when no
    threshold moves (a margin of 0, thresholds of 0): such a criterion is never a near
    miss. The tree is the parsed rule (``parse_rule``), not the lowered one.
    """
    d = dictionary or load_dictionary()
    relaxed: list[exp.Expression] = []
    widened = False
    for part in _parts(tree):
        found = _relax_comparison(part, margin, d)
        if found is None:
            return None
        relaxed.append(found[0])
        widened = widened or found[1]
    if not widened:
        return None
    return exp.and_(*relaxed) if len(relaxed) > 1 else relaxed[0]
