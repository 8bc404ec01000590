"""Compare ratios exactly: a comparison that divides is rewritten without its divisions.

A quotient is a binary float, so a rule that states a policy's threshold as a ratio
would miss it at the boundary: the layoff rate ``1 - (185 + 4) / 200`` is
0.05500000000000005 in floats, and ``<= 0.055`` was false for an employer whose rate
is exactly the 5.5 % the document allows. Each side of a comparison that is plain
arithmetic (``+ - *``, unary minus, ``/``) over exact numbers is brought to one
fraction ``N / D`` whose numerator and denominator do not divide, and

    N1 / D1  op  N2 / D2     becomes     N1 * D2  op  N2 * D1    (D1 * D2 > 0)
                                         N2 * D1  op  N1 * D2    (D1 * D2 < 0)

computed in exact integers and decimals like any other arithmetic (``numeric``). A
divisor of 0 still makes the comparison unknown, as ``guard_division`` makes the
quotient. A comparison whose exact form could need more digits than exact numbers
hold, or whose division sits inside a function (``ABS(a / b)``, ``COALESCE(a / b,
0)``), keeps the float quotient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from huiqi.engine.compile.numeric import Widener
from huiqi.engine.compile.scan import CheckError
from huiqi.engine.frame_columns import FrameColumn
from huiqi.profiles.dictionary import Dictionary

_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren)


@dataclass
class _Fraction:
    num: exp.Expression
    den: exp.Expression | None = None  # None: 1
    # The numerators of every divisor met: any of them 0 makes the comparison unknown.
    zeros: list[exp.Expression] = field(default_factory=list)


def _p(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Column | exp.Literal | exp.Paren):
        return node
    return exp.Paren(this=node)


def _mul(a: exp.Expression | None, b: exp.Expression | None) -> exp.Expression | None:
    if a is None:
        return b
    if b is None:
        return a
    return exp.Mul(this=_p(a.copy()), expression=_p(b.copy()))


def _fraction(node: exp.Expression) -> _Fraction | None:
    """``node`` as one fraction, or None when a division sits where it cannot be cleared."""
    if isinstance(node, exp.Paren):
        return _fraction(node.this)
    if isinstance(node, exp.Neg):
        inner = _fraction(node.this)
        if inner is None:
            return None
        return _Fraction(exp.Neg(this=_p(inner.num)), inner.den, inner.zeros)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        a, b = _fraction(node.this), _fraction(node.expression)
        if a is None or b is None:
            return None
        zeros = [*a.zeros, *b.zeros]
        if isinstance(node, exp.Mul):
            num = _mul(a.num, b.num)
            assert num is not None
            return _Fraction(num, _mul(a.den, b.den), zeros)
        if isinstance(node, exp.Div):
            num = _mul(a.num, b.den)
            assert num is not None
            return _Fraction(num, _mul(a.den, b.num), [*zeros, b.num.copy()])
        left, right = _mul(a.num, b.den), _mul(b.num, a.den)
        assert left is not None and right is not None
        kind = exp.Add if isinstance(node, exp.Add) else exp.Sub
        return _Fraction(kind(this=_p(left), expression=_p(right)), _mul(a.den, b.den), zeros)
    if node.find(exp.Div) is not None:
        return None  # a quotient inside a function or CASE: its value is a float
    return _Fraction(node.copy())


def _nonnegative(node: exp.Expression, dictionary: Dictionary) -> bool:
    """Whether ``node`` is never negative: fields whose range starts at 0 or above, positive
    literals, and their sums and products (a divisor that is not 0 is then positive)."""
    if isinstance(node, exp.Paren):
        return _nonnegative(node.this, dictionary)
    if isinstance(node, exp.Literal):
        return not node.is_string and not node.name.startswith("-")
    if isinstance(node, exp.Column):
        col = FrameColumn.parse(node.name)
        f = dictionary.get(col.field) if col.kind in ("static", "yearly") else None
        return f is not None and f.min is not None and f.min >= 0
    if isinstance(node, exp.Add | exp.Mul):
        return _nonnegative(node.this, dictionary) and _nonnegative(node.expression, dictionary)
    return False


def _exact(node: exp.Expression, dictionary: Dictionary) -> exp.Expression | None:
    a, b = _fraction(node.this), _fraction(node.expression)
    if a is None or b is None or (a.den is None and b.den is None):
        return None
    left, right = _mul(a.num, b.den), _mul(b.num, a.den)
    den = _mul(a.den, b.den)
    assert left is not None and right is not None and den is not None
    kind = type(node)
    ifs = []
    zeros = list({z.sql(): z for z in [*a.zeros, *b.zeros]}.values())
    if zeros:
        tests = [exp.EQ(this=_p(z), expression=exp.Literal.number(0)) for z in zeros]
        ifs.append(exp.If(this=exp.or_(*tests, copy=False), true=exp.Null()))
    same = kind(this=_p(left), expression=_p(right))
    if _nonnegative(den, dictionary):
        return exp.Case(ifs=ifs, default=same) if ifs else same
    ifs.append(exp.If(this=exp.GT(this=_p(den), expression=exp.Literal.number(0)), true=same))
    flipped = kind(this=_p(right.copy()), expression=_p(left.copy()))
    return exp.Case(ifs=ifs, default=flipped)


def exact_comparisons(tree: exp.Expression, dictionary: Dictionary) -> exp.Expression:
    """Rewrite every comparison of ratios in ``tree`` (lowered: frame columns, literals)."""

    def visit(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, _COMPARISONS) or node.find(exp.Div) is None:
            return node
        exact = _exact(node, dictionary)
        if exact is None:
            return node
        try:
            Widener(dictionary).shape(exact.copy())
        except CheckError:
            return node  # too many digits for exact numbers: the float quotient stays
        return exact

    return tree.transform(visit, copy=False)
