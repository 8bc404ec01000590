"""A slow, obvious, pure-Python evaluator of compiled rules: the reference (oracle).

It walks the same neutral SQLGlot trees every backend runs, one enterprise at a
time, with SQL's three-valued logic, computes frame columns straight from a
``RawProfile`` (not from a frame builder), and turns the amount into fen by the
rule's plain definition (clamp to [floor, cap], round half up to the fen once),
not by any backend's optimised SQL. Tests assert that every backend agrees with
it on every enterprise; the benchmark uses it as the naive baseline.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from huiqi.engine.compile.compiler import MAX_AMOUNT_DIGITS, CompiledCriterion, CompiledPolicy
from huiqi.engine.compile.lower import add_interval
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.profile import RawProfile
from huiqi.engine.related import Population, contract_value, group_value
from huiqi.engine.results import AMOUNT_TOO_LARGE

_CTX = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)


def column_value(name: str, prof: RawProfile, pop: Population | None = None) -> Any:
    """A frame column's value for one profile, computed from the raw profile (and, for
    contracts and group totals, the population it belongs to: default, itself alone)."""
    return frame_value(FrameColumn.parse(name), prof, pop)


def frame_value(col: FrameColumn, prof: RawProfile, pop: Population | None = None) -> Any:
    """``column_value`` for a column already parsed."""
    if col.kind in ("contracts", "group"):
        population = pop if pop is not None else Population([prof])
        if col.kind == "contracts":
            return contract_value(col, prof, population)
        return group_value(col, prof, population)
    if col.kind == "static":
        return prof.uscc if col.field == "uscc" else prof.static.get(col.field)
    if col.kind == "yearly":
        assert col.year is not None
        return prof.years.get(col.year, {}).get(col.field)
    if col.kind == "held":
        return any(q == col.field and a <= col.date <= b for q, a, b in prof.qualifications)  # type: ignore[operator]
    return any(q == col.field and a.year == col.year for q, a, _ in prof.qualifications)


def _num_pair(a: Any, b: Any) -> tuple[Any, Any]:
    """Mix numbers as DuckDB does: any float makes both floats; bools stay bools."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    return a, b


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
            a = dt.datetime.combine(a, dt.time()) if not isinstance(a, dt.datetime) else a
            b = dt.datetime.combine(b, dt.time()) if not isinstance(b, dt.datetime) else b
        a, b = _num_pair(a, b)
        return op(a, b)

    return run


_COMPARE = {
    exp.EQ: _compare(lambda a, b: a == b),
    exp.NEQ: _compare(lambda a, b: a != b),
    exp.GT: _compare(lambda a, b: a > b),
    exp.GTE: _compare(lambda a, b: a >= b),
    exp.LT: _compare(lambda a, b: a < b),
    exp.LTE: _compare(lambda a, b: a <= b),
}


def _arith(kind: type[exp.Expression], a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, dt.date) and isinstance(b, tuple):
        amount, unit = b
        return add_interval(a, amount if kind is exp.Add else -amount, unit)
    a, b = _num_pair(a, b)
    if kind is exp.Div:
        return float(a) / float(b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        a, b = Decimal(a), Decimal(b)
        fn = {exp.Add: _CTX.add, exp.Sub: _CTX.subtract, exp.Mul: _CTX.multiply}[kind]
        return fn(a, b)
    return {exp.Add: a + b, exp.Sub: a - b, exp.Mul: a * b}[kind]


class Evaluator:
    """Evaluate lowered rule trees for one profile."""

    def __init__(self, prof: RawProfile, pop: Population | None = None) -> None:
        self.prof = prof
        self.pop = pop

    def ev(self, node: exp.Expression) -> Any:
        t = type(node)
        if t is exp.Column:
            return column_value(node.name, self.prof, self.pop)
        if t is exp.Literal:
            if node.is_string:
                return node.name
            text = node.name
            return int(text) if text.lstrip("-").isdigit() else Decimal(text)
        if t is exp.Boolean:
            return bool(node.this)
        if t is exp.Null:
            return None
        if t is exp.Paren:
            return self.ev(node.this)
        if t is exp.And:
            a, b = self.ev(node.this), self.ev(node.expression)
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if t is exp.Or:
            a, b = self.ev(node.this), self.ev(node.expression)
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        if t is exp.Not:
            v = self.ev(node.this)
            return None if v is None else not v
        if t in _COMPARE:
            return _COMPARE[t](self.ev(node.this), self.ev(node.expression))
        if t in (exp.Add, exp.Sub, exp.Mul, exp.Div):
            return _arith(t, self.ev(node.this), self.ev(node.expression))
        if t is exp.Neg:
            v = self.ev(node.this)
            return None if v is None else -v
        if t is exp.Nullif:
            a, b = self.ev(node.this), self.ev(node.expression)
            return None if a is None or (b is not None and a == b) else a
        if t is exp.Is:
            v = self.ev(node.this)
            if isinstance(node.expression, exp.Null):
                return v is None
            return v is (node.expression.this is True)
        if t is exp.In:
            v = self.ev(node.this)
            if v is None:
                return None
            return any(_COMPARE[exp.EQ](v, self.ev(i)) for i in node.expressions)
        if t is exp.Between:
            v, lo, hi = self.ev(node.this), self.ev(node.args["low"]), self.ev(node.args["high"])
            ge, le = _COMPARE[exp.GTE](v, lo), _COMPARE[exp.LTE](v, hi)
            if ge is False or le is False:
                return False
            return None if ge is None or le is None else True
        if t is exp.Case:
            for branch in node.args.get("ifs") or []:
                if self.ev(branch.this) is True:
                    return self.ev(branch.args["true"])
            default = node.args.get("default")
            return self.ev(default) if default is not None else None
        if t is exp.If:
            if self.ev(node.this) is True:
                return self.ev(node.args["true"])
            other = node.args.get("false")
            return self.ev(other) if other is not None else None
        if t is exp.Coalesce:
            for arg in [node.this, *node.expressions]:
                v = self.ev(arg)
                if v is not None:
                    return v
            return None
        if t in (exp.Greatest, exp.Least):
            values = [self.ev(a) for a in [node.this, *node.expressions]]
            if None in values and not node.args.get("ignore_nulls"):
                return None
            present = [v for v in values if v is not None]
            if not present:
                return None
            if any(isinstance(v, float) for v in present):
                present = [float(v) for v in present]
            return max(present) if t is exp.Greatest else min(present)
        if t is exp.Abs:
            v = self.ev(node.this)
            return None if v is None else abs(v)
        if t is exp.Interval:
            return (int(node.this.name), node.unit.name.upper().rstrip("S"))
        if t in (exp.Year, exp.Month, exp.Day):
            v = self.ev(node.this)
            if v is None:
                return None
            return {exp.Year: v.year, exp.Month: v.month, exp.Day: v.day}[t]
        if t is exp.Round:
            v = self.ev(node.this)
            if v is None:
                return None
            places = self.ev(node.args["decimals"]) if node.args.get("decimals") else 0
            step = Decimal(1).scaleb(-int(places))
            return Decimal(v).quantize(step, rounding=decimal.ROUND_HALF_UP)
        if t is exp.Cast:
            v = self.ev(node.this)
            target = node.args["to"].this
            if v is None:
                return None
            if target == exp.DataType.Type.DATE:
                return dt.date.fromisoformat(v) if isinstance(v, str) else v
            if target in (exp.DataType.Type.BIGINT, exp.DataType.Type.INT):
                return int(v)
            if target == exp.DataType.Type.DECIMAL:
                return Decimal(v)
            raise NotImplementedError(f"cast to {target}")
        if t is exp.ArrayContains:
            tags, wanted = self.ev(node.this), self.ev(node.expression)
            return None if tags is None or wanted is None else wanted in tags
        raise NotImplementedError(f"reference evaluator has no rule for {t.__name__}")


def yuan_value(value: Any) -> Decimal | None:
    """The amount formula's value as exact yuan (it is an integer or a decimal, never a float)."""
    if value is None:
        return None
    assert not isinstance(value, float | bool), value
    return Decimal(value)


AMOUNT_LIMIT_YUAN = Decimal(10) ** MAX_AMOUNT_DIGITS


def clamp(cp: CompiledPolicy, yuan: Decimal) -> Decimal:
    """The formula's value clamped to [floor, cap] (floor 0 by default)."""
    spec = cp.policy.amount
    floor = spec.floor if spec.floor is not None else Decimal(0)
    clamped = max(yuan, floor)
    if spec.cap is not None:
        clamped = min(clamped, spec.cap)
    return clamped


def fen(cp: CompiledPolicy, yuan: Decimal | None) -> int | None:
    """The amount in fen: clamp to [floor, cap] (floor 0 by default), round half up once."""
    if yuan is None:
        return None
    clamped = clamp(cp, yuan)
    return int(clamped.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP) * 100)


@dataclass(frozen=True)
class PyResult:
    status: str
    amount_fen: int | None
    failed: tuple[str, ...]
    unknown: tuple[str, ...]
    values: tuple[bool | None, ...]
    amount_yuan: Decimal | None = None
    error: str | None = None


def evaluate_policy(
    cp: CompiledPolicy, prof: RawProfile, pop: Population | None = None
) -> PyResult:
    """Status, amount (fen) and criterion values of one policy for one profile (``pop``:
    the population it belongs to, for related parties; default, itself alone).

    An amount at or above AMOUNT_LIMIT_YUAN, or a value no exact arithmetic holds, makes
    an otherwise eligible row an 'error' with its reason.
    """
    # Every Decimal operation (abs, negation, quantize too, not only _arith's) at the
    # evaluator's precision: the thread's default context rounds to 28 digits.
    with decimal.localcontext(_CTX):
        return _evaluate_policy(cp, prof, pop)


def _near(ev: Evaluator, crit: CompiledCriterion) -> bool:
    """Whether failing ``crit`` is actionable (engine/compile/nearness)."""
    if crit.nearness == "always":
        return True
    return crit.nearness == "margin" and crit.near is not None and ev.ev(crit.near) is True


def _evaluate_policy(cp: CompiledPolicy, prof: RawProfile, pop: Population | None) -> PyResult:
    ev = Evaluator(prof, pop)
    values: list[bool | None] = []
    for crit in cp.checked:
        assert crit.tree is not None
        values.append(ev.ev(crit.tree))
    yuan = yuan_value(ev.ev(cp.amount))
    too_large = yuan is not None and clamp(cp, yuan) >= AMOUNT_LIMIT_YUAN
    amount = None if too_large else fen(cp, yuan)
    failed = tuple(c.id for c, v in zip(cp.checked, values, strict=True) if v is False)
    unknown = tuple(c.id for c, v in zip(cp.checked, values, strict=True) if v is None)
    if not failed and not unknown and too_large:
        return PyResult("error", None, failed, unknown, tuple(values), yuan, error=AMOUNT_TOO_LARGE)
    if not failed and not unknown and amount is not None:
        status = "eligible"
    elif not failed:
        status = "needs_data"
    elif (
        len(failed) == 1
        and not unknown
        and all(_near(ev, c) for c, v in zip(cp.checked, values, strict=True) if v is False)
    ):
        status = "near_miss"
    else:
        status = "not_eligible"
    return PyResult(status, amount, failed, unknown, tuple(values), yuan)
