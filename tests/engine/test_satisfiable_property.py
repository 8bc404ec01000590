"""The contradiction check never calls satisfiable criteria contradictory: random rules of
comparisons, IN, BETWEEN, IS NULL, NOT, AND and OR over a few small fields are read the way
lint reads them, and each verdict "can never all hold" is checked by trying every value
(NULL included) of a domain that holds every constant the rules write and the values
between and around them."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from huiqi.engine.constraints import Atom, Var, feasible
from huiqi.engine.rule_dnf import criterion_dnf
from huiqi.engine.satisfiable import never_all_true

FIELDS = {"a": "number", "b": "number", "n": "whole", "s": "text", "f": "boolean"}
WHOLE = frozenset({"n"})
CODES = ["C", "I", "M"]


def _literal(kind: str, value: Any) -> exp.Expression:
    if kind == "text":
        return exp.Literal.string(value)
    if kind == "boolean":
        return exp.Boolean(this=value)
    return exp.Literal.number(str(value))


numbers = st.sampled_from([Decimal(x) / 2 for x in range(-2, 9)])


@st.composite
def atoms(draw: st.DrawFn) -> exp.Expression:
    field = draw(st.sampled_from(sorted(FIELDS)))
    col = exp.column(field, quoted=True)
    kind = FIELDS[field]
    form = draw(st.sampled_from(["cmp", "in", "between", "null", "bare"]))
    if kind == "boolean":
        if form == "null":
            return exp.Is(this=col, expression=exp.Null())
        if form == "bare":
            return col
        return exp.EQ(this=col, expression=exp.Boolean(this=draw(st.booleans())))
    if kind == "text":
        pick = st.sampled_from(CODES)
        if form == "in":
            items = draw(st.lists(pick, min_size=1, max_size=3))
            return exp.In(this=col, expressions=[_literal("text", v) for v in items])
        if form == "null":
            return exp.Is(this=col, expression=exp.Null())
        op = draw(st.sampled_from([exp.EQ, exp.NEQ]))
        return op(this=col, expression=_literal("text", draw(pick)))
    value = draw(numbers) if kind == "number" else Decimal(draw(st.integers(-1, 4)))
    if form == "in":
        items = draw(st.lists(numbers, min_size=1, max_size=3))
        return exp.In(this=col, expressions=[_literal("number", v) for v in items])
    if form == "between":
        low, high = sorted([value, draw(numbers)])
        return exp.Between(this=col, low=_literal("number", low), high=_literal("number", high))
    if form == "null":
        return exp.Is(this=col, expression=exp.Null())
    op = draw(st.sampled_from([exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE]))
    return op(this=col, expression=_literal("number", value))


def rules() -> st.SearchStrategy[exp.Expression]:
    return st.recursive(
        atoms(),
        lambda inner: st.one_of(
            st.builds(lambda x: exp.Not(this=exp.Paren(this=x)), inner),
            st.builds(lambda x, y: exp.And(this=x, expression=y), inner, inner),
            st.builds(lambda x, y: exp.Or(this=x, expression=y), inner, inner),
        ),
        max_leaves=5,
    )


# Three-valued evaluation, as SQL: None is unknown.
def _eval(node: exp.Expression, row: dict[str, Any]) -> bool | None:
    if isinstance(node, exp.Paren):
        return _eval(node.this, row)
    if isinstance(node, exp.Not):
        v = _eval(node.this, row)
        return None if v is None else not v
    if isinstance(node, exp.And):
        a, b = _eval(node.this, row), _eval(node.expression, row)
        return False if False in (a, b) else None if None in (a, b) else True
    if isinstance(node, exp.Or):
        a, b = _eval(node.this, row), _eval(node.expression, row)
        return True if True in (a, b) else None if None in (a, b) else False
    if isinstance(node, exp.Column):
        return row[node.name]
    if isinstance(node, exp.Is):
        return row[node.this.name] is None
    x = row[node.this.name]
    if x is None:
        return None
    if isinstance(node, exp.In):
        return x in [_const(e) for e in node.expressions]
    if isinstance(node, exp.Between):
        return _const(node.args["low"]) <= x <= _const(node.args["high"])
    y = _const(node.expression)
    return {
        exp.EQ: x == y,
        exp.NEQ: x != y,
        exp.LT: x < y,
        exp.LTE: x <= y,
        exp.GT: x > y,
        exp.GTE: x >= y,
    }[type(node)]


def _const(node: exp.Expression) -> Any:
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Neg):
        return -_const(node.this)
    return node.name if node.is_string else Fraction(node.name)


def _domain(kind: str) -> list[Any]:
    if kind == "boolean":
        return [None, True, False]
    if kind == "text":
        return [None, *CODES, "other"]
    if kind == "whole":
        return [None, *range(-3, 7)]
    # Every constant the strategies write (halves from -1 to 4), the quarters between and
    # beyond them: an interval that holds any real value holds one of these.
    return [None, *(Fraction(-3, 2) + Fraction(k, 4) for k in range(27))]


def _brute_force_satisfiable(criteria: list[exp.Expression]) -> bool:
    used = sorted({c.name for rule in criteria for c in rule.find_all(exp.Column)})
    for values in itertools.product(*(_domain(FIELDS[f]) for f in used)):
        row = dict(zip(used, values, strict=True))
        if all(_eval(rule, row) is True for rule in criteria):
            return True
    return False


@settings(max_examples=250, deadline=None)
@given(st.lists(rules(), min_size=1, max_size=3))
def test_a_contradiction_is_reported_only_where_no_row_meets_every_criterion(
    criteria: list[exp.Expression],
) -> None:
    dnfs = [criterion_dnf(rule, {}, WHOLE) for rule in criteria]
    if never_all_true(dnfs):
        assert not _brute_force_satisfiable(criteria), [r.sql() for r in criteria]


@settings(max_examples=200, deadline=None)
@given(st.lists(atoms(), min_size=1, max_size=4))
def test_conjunctions_of_simple_conditions_are_decided_exactly(
    conditions: list[exp.Expression],
) -> None:
    # Without OR, NOT and discrete integers between halves, the reading is exact both ways.
    dnfs = [criterion_dnf(rule, {}, WHOLE) for rule in conditions]
    assert never_all_true(dnfs) == (not _brute_force_satisfiable(conditions)), [
        r.sql() for r in conditions
    ]


def test_whole_numbers_between_two_bounds_and_the_values_left_out() -> None:
    n = Var("n", ("n",), discrete=True)
    x = Var("x", ("x",))

    def atom(var: Var, op: str, *values: int) -> Atom:
        return Atom(var, op, tuple(Decimal(v) for v in values), "number")

    assert not feasible([atom(n, ">", 3), atom(n, "<", 4)])
    assert not feasible([atom(x, ">", 3), atom(x, "<=", 3)])
    assert feasible([atom(x, ">=", 3), atom(x, "<=", 3)])
    assert not feasible([atom(x, ">=", 3), atom(x, "<=", 3), atom(x, "<>", 3)])
    assert feasible([atom(x, ">", 3), atom(x, "<", 4)])
    assert not feasible([atom(n, ">=", 3), atom(n, "<=", 4), atom(n, "not in", 3, 4)])
    assert feasible([atom(n, ">=", 3), atom(n, "<=", 5), atom(n, "not in", 3, 4)])
    assert not feasible([atom(n, "=", 3), atom(n, "<>", 3)])
    assert not feasible([Atom(n, "=", (Decimal("2.5"),), "number")])
    assert not feasible([atom(x, ">", 3), Atom(x, "null")])
    assert feasible([Atom(x, "not null"), Atom(x, "<>", (Decimal(1),), "number")])
