"""A compiled criterion as the ways it can be TRUE: an OR of ANDs of simple conditions.

:func:`criterion_dnf` reads a criterion's lowered tree (compile/lower: frame columns and
constants, money in yuan as the compiler leaves it) and returns its disjunctive normal
form over :class:`~huiqi.engine.constraints.Atom`: each conjunction is one way the
criterion can be TRUE. It is an over-approximation, never an under one: what it cannot
read (arithmetic across columns, a comparison of two columns, a division, a NULL bound)
becomes "no condition", so a row that makes the criterion TRUE always satisfies one of
the conjunctions. ``NOT`` is pushed inwards with SQL's three-valued logic, where "NOT c is
TRUE" means "c is FALSE": ``NOT (x > 5)`` is ``x <= 5`` for a known x, ``NOT (a AND b)`` is
``NOT a OR NOT b``. An expression the analysis cannot take apart (``has_tag``, a CASE's
result, ``COALESCE(x, 0)``) is a value of its own, keyed by its text: the same text is the
same value on a row, so ``has_tag(tags, 'a') AND NOT has_tag(tags, 'a')`` is found too.

Example:
    >>> from sqlglot import parse_one
    >>> dnf = criterion_dnf(parse_one('"x" > 10 OR "x" IS NULL'), {})
    >>> [[(a.var.key, a.op, a.values) for a in conj] for conj in dnf]
    [[('x', '>', (Decimal('10'),))], [('x', 'null', ())]]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, localcontext

from sqlglot import exp

from huiqi.engine.compile.lower import add_interval
from huiqi.engine.constraints import Atom, Kind, Value, Var
from huiqi.engine.frame_columns import FrameColumn

Conjunction = tuple[Atom, ...]
DNF = tuple[Conjunction, ...]
TOP: DNF = ((),)  # TRUE for some row whatever else: no condition
BOTTOM: DNF = ()  # never TRUE
MAX_TERMS = 64  # conjunctions kept per sub-expression; more is read as "no condition"
# Constant arithmetic in exact decimals: a rule's numbers have at most 38 digits, so a sum
# or a product of two needs at most 77 (a deeper one that would round is not folded).
_EXACT = Context(prec=200)

_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_OPS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}


@dataclass(frozen=True)
class _Const:
    kind: Kind
    value: Value


def _or(*parts: DNF) -> DNF:
    out = tuple(conj for part in parts for conj in part)
    if any(not conj for conj in out) or len(out) > MAX_TERMS:
        return TOP
    return out


def _and(*parts: DNF) -> DNF:
    out: DNF = TOP
    for part in parts:
        out = tuple(a + b for a in out for b in part)
        if len(out) > MAX_TERMS:
            return TOP
    return out


def _interval(node: exp.Interval) -> tuple[int, str] | None:
    unit = node.args.get("unit")
    amount = node.this.name if isinstance(node.this, exp.Literal) else ""
    if unit is None or not amount.lstrip("-").isdigit():
        return None
    return int(amount), unit.name.upper().rstrip("S")


def _constant(node: exp.Expression) -> _Const | None:
    """The value of a constant: a number (exact), a text, a truth value or a date."""
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Literal):
        return _Const("text", node.name) if node.is_string else _Const("number", Decimal(node.name))
    if isinstance(node, exp.Boolean):
        return _Const("boolean", bool(node.this))
    if isinstance(node, exp.Cast) and node.to.is_type("date"):
        inner = node.this
        if isinstance(inner, exp.Literal) and inner.is_string:
            try:
                return _Const("date", dt.date.fromisoformat(inner.name).toordinal())
            except ValueError:
                return None
        return None
    if isinstance(node, exp.Neg):
        inner_const = _constant(node.this)
        if inner_const is not None and isinstance(inner_const.value, Decimal):
            return _Const("number", inner_const.value.copy_negate())  # exact, unlike -x
        return None
    if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
        base, step = _constant(node.this), _interval(node.expression)
        if (
            base is None
            or base.kind != "date"
            or step is None
            or step[1] not in ("YEAR", "MONTH", "DAY")
        ):
            return None
        assert isinstance(base.value, int)
        sign = 1 if isinstance(node, exp.Add) else -1
        day = add_interval(dt.date.fromordinal(base.value), sign * step[0], step[1])
        return _Const("date", day.toordinal())
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        left, right = _constant(node.this), _constant(node.expression)
        if left is None or right is None:
            return None
        a, b = left.value, right.value
        if not (isinstance(a, Decimal) and isinstance(b, Decimal)):
            return None
        with localcontext(_EXACT) as ctx:
            ctx.clear_flags()
            value = (
                a + b
                if isinstance(node, exp.Add)
                else a - b
                if isinstance(node, exp.Sub)
                else a * b
            )
            if ctx.flags[Inexact]:
                return None  # a rounded constant is not the rule's value
        return _Const("number", value)
    return None


class _Reader:
    """Reads one criterion's lowered tree; ``columns`` are the frame columns it reads."""

    def __init__(self, columns: Mapping[str, FrameColumn], whole: frozenset[str]) -> None:
        self.columns = columns
        self.whole = whole  # columns that hold whole numbers only

    def var(self, node: exp.Expression) -> Var | None:
        """The value ``node`` stands for, or None when it is unreadable (a float, NULL)."""
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Column):
            name = node.name
            col = self.columns.get(name)
            return Var(name, (col.describe() if col else name,), name in self.whole)
        if node.find(exp.Div, exp.Null) is not None:
            return None  # a quotient is a float: its comparisons are not exact
        names = sorted({c.name for c in node.find_all(exp.Column)})
        shown = tuple(self.columns[n].describe() if n in self.columns else n for n in names)
        return Var(f"expr:{node.sql()}", shown)

    def compare(self, op: str, left: exp.Expression, right: exp.Expression) -> DNF:
        lc, rc = _constant(left), _constant(right)
        if lc is not None and rc is not None:
            return TOP if _holds(op, lc, rc) else BOTTOM
        if lc is not None:
            op, left, right, rc = _FLIP[op], right, left, lc
        if rc is None:
            return TOP  # two values compared with each other: not analysed
        var = self.var(left)
        if var is None or (op not in ("=", "<>") and rc.kind in ("text", "boolean")):
            return TOP
        return ((Atom(var, op, (rc.value,), rc.kind),),)

    def read(self, node: exp.Expression, positive: bool = True) -> DNF:
        """The ways ``node`` is TRUE (``positive``) or FALSE (not ``positive``)."""
        if isinstance(node, exp.Paren):
            return self.read(node.this, positive)
        if isinstance(node, exp.Not):
            return self.read(node.this, not positive)
        if isinstance(node, exp.And | exp.Or):
            parts = (self.read(node.this, positive), self.read(node.expression, positive))
            return _and(*parts) if isinstance(node, exp.And) == positive else _or(*parts)
        if isinstance(node, exp.Boolean):
            return TOP if bool(node.this) == positive else BOTTOM
        if isinstance(node, exp.Null):
            return BOTTOM  # NULL is neither TRUE nor FALSE
        if type(node) in _OPS:
            op = _OPS[type(node)]
            return self.compare(op if positive else _NEGATE[op], node.this, node.expression)
        if isinstance(node, exp.Between) and not node.args.get("symmetric"):
            low, high = node.args["low"], node.args["high"]
            if positive:
                return _and(self.compare(">=", node.this, low), self.compare("<=", node.this, high))
            return _or(self.compare("<", node.this, low), self.compare(">", node.this, high))
        if isinstance(node, exp.In):
            return self.member(node, positive)
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            var = self.var(node.this)
            return TOP if var is None else ((Atom(var, "null" if positive else "not null"),),)
        if isinstance(node, exp.Case):
            return self.case(node, positive)
        var = self.var(node)
        if var is None:
            return TOP
        return ((Atom(var, "=", (positive,), "boolean"),),)

    def member(self, node: exp.In, positive: bool) -> DNF:
        items = [_constant(e) for e in node.expressions]
        var = self.var(node.this)
        other = any(node.args.get(k) for k in ("query", "unnest", "field"))
        if var is None or other or not items or any(i is None for i in items):
            return TOP
        kinds = {i.kind for i in items if i is not None}
        if len(kinds) != 1:
            return TOP
        values = tuple(i.value for i in items if i is not None)
        return ((Atom(var, "in" if positive else "not in", values, kinds.pop()),),)

    def case(self, node: exp.Case, positive: bool) -> DNF:
        """Some branch's condition TRUE and its result TRUE (FALSE), or the default's
        result: the earlier branches' conditions (not TRUE) are left out, which only adds
        ways."""
        ways = [
            _and(self.read(branch.this), self.read(branch.args["true"], positive))
            for branch in node.args.get("ifs") or []
        ]
        default = node.args.get("default")
        ways.append(self.read(default, positive) if default is not None else BOTTOM)
        return _or(*ways)


def _holds(op: str, left: _Const, right: _Const) -> bool:
    """A comparison of two constants; TRUE when it cannot tell (kinds differ)."""
    a, b = left.value, right.value
    if left.kind != right.kind:
        return True
    if op in ("=", "<>"):
        return (a == b) == (op == "=")
    if left.kind in ("text", "boolean"):
        return True
    x, y = Decimal(a), Decimal(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def criterion_dnf(
    tree: exp.Expression,
    columns: Mapping[str, FrameColumn],
    whole: frozenset[str] = frozenset(),
) -> DNF:
    """The ways the criterion ``tree`` is TRUE (see the module docstring); ``columns`` maps
    the frame column names it reads to their columns, ``whole`` names those that hold
    whole numbers only."""
    return _Reader(columns, whole).read(tree)
