"""Compile a lowered rule tree into a Python closure over one frame row.

The reference evaluator (``engine/python/pyeval``) walks a tree for every enterprise
and every policy, dispatching on node types as it goes; that is obvious and slow. Here
the walk happens once per tree: each node becomes a closure that calls its children's
closures, literals and constant subtrees are computed at compile time, and a frame
column becomes a dictionary read. The meaning is the reference's, branch by branch
(three-valued logic, DuckDB's mixing of numbers, exact decimals at 60 digits); the
oracle tests hold the two equal on every construct of the rule language.

A row is a ``dict`` from frame column name to value, with every column the trees read
(``engine/single/program`` builds it from a raw profile).

Example:
    >>> from sqlglot import parse_one
    >>> f = compile_tree(parse_one("revenue__2024 >= 1000000"))
    >>> f({"revenue__2024": 2_000_000}), f({"revenue__2024": None})
    (True, None)
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlglot import exp

from huiqi.engine.python import pyeval

Row = Mapping[str, Any]
Fn = Callable[[Row], Any]

# The evaluator's decimal context (60 digits, half up); callers run closures inside it.
CONTEXT = pyeval._CTX


def _const(value: Any) -> Fn:
    return lambda _row: value


def _column(name: str) -> Fn:
    def read(row: Row) -> Any:
        return row[name]

    return read


def _comparison(kind: type[exp.Expression], fa: Fn, fb: Fn) -> Fn:
    compare = pyeval._COMPARE[kind]

    def run(row: Row) -> Any:
        a = fa(row)
        b = fb(row)
        if a is None or b is None:
            return None
        ta, tb = type(a), type(b)
        # The common case (two whole numbers, two texts): the comparison as it is.
        if ta is tb and (ta is int or ta is str):
            return _PLAIN[kind](a, b)
        return compare(a, b)

    return run


_PLAIN: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}


def _and(fa: Fn, fb: Fn) -> Fn:
    def run(row: Row) -> Any:
        a = fa(row)
        b = fb(row)
        if a is False or b is False:
            return False
        return None if a is None or b is None else True

    return run


def _or(fa: Fn, fb: Fn) -> Fn:
    def run(row: Row) -> Any:
        a = fa(row)
        b = fb(row)
        if a is True or b is True:
            return True
        return None if a is None or b is None else False

    return run


def _not(fa: Fn) -> Fn:
    def run(row: Row) -> Any:
        v = fa(row)
        return None if v is None else not v

    return run


def _arith(kind: type[exp.Expression], fa: Fn, fb: Fn) -> Fn:
    def run(row: Row) -> Any:
        return pyeval._arith(kind, fa(row), fb(row))

    return run


def _unary(op: Callable[[Any], Any], fa: Fn) -> Fn:
    def run(row: Row) -> Any:
        v = fa(row)
        return None if v is None else op(v)

    return run


def _in(fv: Fn, items: list[Fn]) -> Fn:
    eq = pyeval._COMPARE[exp.EQ]

    def run(row: Row) -> Any:
        v = fv(row)
        if v is None:
            return None
        return any(eq(v, f(row)) for f in items)

    return run


def _between(fv: Fn, flo: Fn, fhi: Fn) -> Fn:
    gte, lte = pyeval._COMPARE[exp.GTE], pyeval._COMPARE[exp.LTE]

    def run(row: Row) -> Any:
        v = fv(row)
        ge, le = gte(v, flo(row)), lte(v, fhi(row))
        if ge is False or le is False:
            return False
        return None if ge is None or le is None else True

    return run


def _case(branches: list[tuple[Fn, Fn]], default: Fn | None) -> Fn:
    def run(row: Row) -> Any:
        for cond, then in branches:
            if cond(row) is True:
                return then(row)
        return default(row) if default is not None else None

    return run


def _coalesce(args: list[Fn]) -> Fn:
    def run(row: Row) -> Any:
        for f in args:
            v = f(row)
            if v is not None:
                return v
        return None

    return run


def _extreme(largest: bool, args: list[Fn], ignore_nulls: bool) -> Fn:
    def run(row: Row) -> Any:
        values = [f(row) for f in args]
        if None in values and not ignore_nulls:
            return None
        present = [v for v in values if v is not None]
        if not present:
            return None
        if any(isinstance(v, float) for v in present):
            present = [float(v) for v in present]
        return max(present) if largest else min(present)

    return run


def _is(fv: Fn, target: exp.Expression) -> Fn:
    if isinstance(target, exp.Null):
        return lambda row: fv(row) is None
    wanted = target.this is True
    return lambda row: fv(row) is wanted


def _round(fv: Fn, fplaces: Fn | None) -> Fn:
    def run(row: Row) -> Any:
        v = fv(row)
        if v is None:
            return None
        places = fplaces(row) if fplaces is not None else 0
        step = Decimal(1).scaleb(-int(places))
        return Decimal(v).quantize(step, rounding=decimal.ROUND_HALF_UP)

    return run


def _to_date(v: Any) -> Any:
    return dt.date.fromisoformat(v) if isinstance(v, str) else v


_CASTS: dict[Any, Callable[[Any], Any]] = {
    exp.DataType.Type.DATE: _to_date,
    exp.DataType.Type.BIGINT: int,
    exp.DataType.Type.INT: int,
    exp.DataType.Type.DECIMAL: Decimal,
}


def _cast(fv: Fn, target: Any) -> Fn:
    convert = _CASTS.get(target)
    if convert is None:
        raise NotImplementedError(f"cast to {target}")
    return _unary(convert, fv)


def _array_contains(ft: Fn, fw: Fn) -> Fn:
    def run(row: Row) -> Any:
        tags, wanted = ft(row), fw(row)
        return None if tags is None or wanted is None else wanted in tags

    return run


_PARTS = {exp.Year: "year", exp.Month: "month", exp.Day: "day"}


def _build(node: exp.Expression) -> Fn:  # one branch per construct, as pyeval
    t = type(node)
    if t is exp.Column:
        return _column(node.name)
    if t in (exp.Literal, exp.Boolean, exp.Null, exp.Interval):
        return _const(pyeval.Evaluator(None).ev(node))  # type: ignore[arg-type]
    if t is exp.Paren:
        return compile_tree(node.this)
    if t is exp.And:
        return _and(compile_tree(node.this), compile_tree(node.expression))
    if t is exp.Or:
        return _or(compile_tree(node.this), compile_tree(node.expression))
    if t is exp.Not:
        return _not(compile_tree(node.this))
    if t in pyeval._COMPARE:
        return _comparison(t, compile_tree(node.this), compile_tree(node.expression))
    if t in (exp.Add, exp.Sub, exp.Mul, exp.Div):
        return _arith(t, compile_tree(node.this), compile_tree(node.expression))
    if t is exp.Neg:
        return _unary(lambda v: -v, compile_tree(node.this))
    if t is exp.Abs:
        return _unary(abs, compile_tree(node.this))
    if t in _PARTS:
        part = _PARTS[t]
        return _unary(lambda v: getattr(v, part), compile_tree(node.this))
    if t is exp.Nullif:
        fa, fb = compile_tree(node.this), compile_tree(node.expression)

        def nullif(row: Row) -> Any:
            a, b = fa(row), fb(row)
            return None if a is None or (b is not None and a == b) else a

        return nullif
    if t is exp.Is:
        return _is(compile_tree(node.this), node.expression)
    if t is exp.In:
        return _in(compile_tree(node.this), [compile_tree(i) for i in node.expressions])
    if t is exp.Between:
        return _between(
            compile_tree(node.this),
            compile_tree(node.args["low"]),
            compile_tree(node.args["high"]),
        )
    if t is exp.Case:
        branches = [
            (compile_tree(b.this), compile_tree(b.args["true"])) for b in node.args.get("ifs") or []
        ]
        default = node.args.get("default")
        return _case(branches, compile_tree(default) if default is not None else None)
    if t is exp.If:
        other = node.args.get("false")
        return _case(
            [(compile_tree(node.this), compile_tree(node.args["true"]))],
            compile_tree(other) if other is not None else None,
        )
    if t is exp.Coalesce:
        return _coalesce([compile_tree(a) for a in [node.this, *node.expressions]])
    if t in (exp.Greatest, exp.Least):
        return _extreme(
            t is exp.Greatest,
            [compile_tree(a) for a in [node.this, *node.expressions]],
            bool(node.args.get("ignore_nulls")),
        )
    if t is exp.Round:
        places = node.args.get("decimals")
        return _round(compile_tree(node.this), compile_tree(places) if places else None)
    if t is exp.Cast:
        return _cast(compile_tree(node.this), node.args["to"].this)
    if t is exp.ArrayContains:
        return _array_contains(compile_tree(node.this), compile_tree(node.expression))
    raise NotImplementedError(f"the one-enterprise evaluator has no rule for {t.__name__}")


def compile_tree(node: exp.Expression) -> Fn:
    """A closure computing ``node`` for a row; a subtree that reads no column is computed
    once here (in the evaluator's decimal context) and becomes a constant."""
    if next(node.find_all(exp.Column), None) is None:
        with decimal.localcontext(CONTEXT):
            try:
                value = _build(node)({})
            except (ArithmeticError, ValueError, TypeError):
                # Left to run per row, so that it fails (or not) exactly as the reference.
                return _build(node)
        return _const(value)
    return _build(node)
