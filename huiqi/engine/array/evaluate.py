"""Evaluate a neutral rule tree over rows of an array ``Frame``, with SQL's NULLs.

It walks the same SQLGlot trees DuckDB renders and gives what DuckDB gives:
three-valued logic, exact decimals, DOUBLE division, dates with month-end
clamping, GREATEST/LEAST skipping NULLs. A construct it has no exact rule for raises
``Unsupported``, and the policy is evaluated by DuckDB instead (``backend``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from sqlglot import exp

from huiqi.engine.array import values as V
from huiqi.engine.array.columns import Frame
from huiqi.engine.array.values import Unsupported, Val

_COMPARISONS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
_INTEGER_TYPES = (exp.DataType.Type.BIGINT, exp.DataType.Type.INT)


# Literals by node (kept with it): parsing a number each time a criterion is read costs.
_LITERALS: dict[int, tuple[exp.Literal, Val]] = {}


def literal(node: exp.Literal) -> Val:
    found = _LITERALS.get(id(node))
    if found is None or found[0] is not node:
        found = _LITERALS[id(node)] = (node, _literal(node))
    return found[1]


def _literal(node: exp.Literal) -> Val:
    if node.is_string:
        return Val("str", node.name, np.bool_(True))
    text = node.name
    if "e" in text.lower():
        raise Unsupported(f"the number {text} in exponent notation")
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    scale = max(0, -exponent) if isinstance(exponent, int) else 0
    unscaled = int(value.scaleb(scale))
    if abs(unscaled) > V.LIMIT:
        raise V.Overflow(f"the number {text}")
    return Val("num", np.int64(unscaled), np.bool_(True), scale=scale)


class Evaluator:
    """Evaluates trees over ``rows`` of ``frame`` (None: every row)."""

    def __init__(self, frame: Frame, rows: Any = None) -> None:
        self.frame = frame
        self.rows = rows
        self.n = frame.rows if rows is None else len(rows)

    def full(self, x: Any) -> Any:
        x = np.asarray(x)
        return x if x.shape == (self.n,) else np.broadcast_to(x, (self.n,))

    def column(self, name: str) -> Val:
        col = self.frame.columns[name]
        if col.wide:
            raise V.Overflow(f"the column {name} holds decimals beyond 64 bits")
        rows = self.rows
        take = (lambda a: a) if rows is None else (lambda a: np.take(a, rows))
        known = np.bool_(True) if col.known is None else take(col.known)
        if col.kind == "list":
            return Val("list", None, known, col=col)
        return Val(col.kind, take(col.data), known, scale=col.scale, col=col)

    def boolean(self, tree: exp.Expression) -> Val:
        v = self.ev(tree)
        if v.kind == "null":
            return Val("bool", self.full(False), self.full(False))
        if v.kind != "bool":
            raise Unsupported(f"a criterion of kind {v.kind}")
        known = v.known if V.everywhere(v.known) else self.full(v.known)
        return Val("bool", self.full(v.data), known)

    def ev(self, node: exp.Expression) -> Val:
        t = type(node)
        if t is exp.Column:
            return self.column(node.name)
        if t is exp.Literal:
            return literal(node)
        if t is exp.Boolean:
            return Val("bool", np.bool_(bool(node.this)), np.bool_(True))
        if t is exp.Null:
            return Val.null()
        if t is exp.Paren:
            return self.ev(node.this)
        if t is exp.And:
            return V.and3(self._bool(node.this), self._bool(node.expression))
        if t is exp.Or:
            tags = _tags_any(node, self.frame)
            if tags is not None:  # has_tag(tags, 'a') OR has_tag(tags, 'b') OR ...
                return self._has_any(*tags)
            return V.or3(self._bool(node.this), self._bool(node.expression))
        if t is exp.Not:
            return V.not3(self._bool(node.this))
        if t in _COMPARISONS:
            return V.compare(_COMPARISONS[t], self.ev(node.this), self.ev(node.expression))
        if t in (exp.Add, exp.Sub):
            return self._add(node, 1 if t is exp.Add else -1)
        if t is exp.Mul:
            return V.mul(self.ev(node.this), self.ev(node.expression))
        if t is exp.Div:
            return V.div(self.ev(node.this), self.ev(node.expression))
        if t is exp.Neg:
            v = self.ev(node.this)
            if v.kind not in ("num", "float"):
                raise Unsupported(f"-{v.kind}")
            return Val(v.kind, -V.wide(v.data), v.known, scale=v.scale)
        if t is exp.Abs:
            v = self.ev(node.this)
            if v.kind not in ("num", "float"):
                raise Unsupported(f"ABS of {v.kind}")
            return Val(v.kind, np.abs(V.wide(v.data)), v.known, scale=v.scale)
        if t is exp.Nullif:
            a = self.ev(node.this)
            eq = V.compare("=", a, self.ev(node.expression))
            return Val(a.kind, a.data, a.known & ~V.is_true(eq), scale=a.scale, col=a.col)
        if t is exp.Is:
            return self._is(node)
        if t is exp.In:
            return self._in(node)
        if t is exp.Between:
            v = self.ev(node.this)
            low = V.compare(">=", v, self.ev(node.args["low"]))
            return V.and3(low, V.compare("<=", v, self.ev(node.args["high"])))
        if t is exp.Case:
            branches = [(b.this, b.args["true"]) for b in node.args.get("ifs") or []]
            return self._choose(branches, node.args.get("default"))
        if t is exp.If:
            return self._choose([(node.this, node.args["true"])], node.args.get("false"))
        if t is exp.Coalesce:
            return self._coalesce([node.this, *node.expressions])
        if t in (exp.Greatest, exp.Least):
            return self._extreme([node.this, *node.expressions], greatest=t is exp.Greatest)
        if t in (exp.Year, exp.Month, exp.Day):
            v = self.ev(node.this)
            if v.kind != "date":
                raise Unsupported(f"{t.__name__} of {v.kind}")
            parts = V.civil(np.asarray(v.data, dtype=np.int64))
            part = parts[(exp.Year, exp.Month, exp.Day).index(t)]
            return Val("num", part, v.known)
        if t is exp.Interval:
            unit = node.unit.name.upper().rstrip("S") if node.unit else ""
            if unit not in ("DAY", "MONTH", "YEAR"):
                raise Unsupported(f"an interval in {unit or 'no unit'}")
            return Val("interval", (int(node.this.name), unit), np.bool_(True))
        if t is exp.Cast:
            return self._cast(node)
        if t is exp.Round:
            return self._round(node)
        if t is exp.ArrayContains:
            return self._contains(node)
        raise Unsupported(f"the array evaluator has no rule for {t.__name__}")

    def _bool(self, node: exp.Expression) -> Val:
        v = self.ev(node)
        if v.kind == "null":
            return Val("bool", np.bool_(False), np.bool_(False))
        if v.kind != "bool":
            raise Unsupported(f"{v.kind} used as true or false")
        return v

    def _add(self, node: exp.Expression, sign: int) -> Val:
        a, b = self.ev(node.this), self.ev(node.expression)
        if a.kind == "date" and b.kind == "interval":
            amount, unit = b.data
            amount *= sign
            if unit == "DAY":
                return Val("date", np.asarray(a.data, dtype=np.int64) + amount, a.known)
            months = amount * (12 if unit == "YEAR" else 1)
            return Val("date", V.add_months(a.data, months), a.known)
        if a.kind == "date" and b.kind == "date" and sign < 0:
            return Val("num", np.asarray(a.data, dtype=np.int64) - b.data, a.known & b.known)
        return V.add(a, b, sign)

    def _is(self, node: exp.Expression) -> Val:
        v = self.ev(node.this)
        target = node.expression
        yes = np.bool_(True)
        if isinstance(target, exp.Null):
            return Val("bool", ~np.asarray(v.known), yes)
        if isinstance(target, exp.Boolean) and v.kind in ("bool", "null"):
            truth = v.data if target.this else ~np.asarray(v.data)
            return Val("bool", np.asarray(v.known) & truth, yes)
        raise Unsupported(f"IS {target.sql()}")

    def _in(self, node: exp.Expression) -> Val:
        v = self.ev(node.this)
        items = [self.ev(i) for i in node.expressions]
        if any(i.kind == "null" for i in items):
            raise Unsupported("NULL in an IN list")
        if v.kind == "cat" and all(i.kind == "str" for i in items):
            assert v.col is not None
            wanted = {str(i.data) for i in items}
            table = v.col.label_table(lambda label: label in wanted, key=frozenset(wanted))
            return Val("bool", table[v.data], v.known)
        out: Val | None = None
        for item in items:
            eq = V.compare("=", v, item)
            out = eq if out is None else V.or3(out, eq)
        return out if out is not None else Val("bool", np.bool_(False), v.known)

    def _choose(
        self, branches: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None
    ) -> Val:
        conds = [V.is_true(self._bool(c)) for c, _ in branches]
        vals = [self.ev(v) for _, v in branches]
        other = self.ev(default) if default is not None else Val.null()
        kind, scale, col = V.unify([*vals, other])
        data, known = self.full(V.cast_to(other, kind, scale)), self.full(other.known)
        for cond, val in zip(reversed(conds), reversed(vals), strict=True):
            data = np.where(cond, V.cast_to(val, kind, scale), data)
            known = np.where(cond, val.known, known)
        return Val(kind, data, known, scale=scale, col=col)

    def _coalesce(self, args: list[exp.Expression]) -> Val:
        vals = [self.ev(a) for a in args]
        kind, scale, col = V.unify(vals)
        last = vals[-1]
        data, known = self.full(V.cast_to(last, kind, scale)), self.full(last.known)
        for val in reversed(vals[:-1]):
            data = np.where(val.known, V.cast_to(val, kind, scale), data)
            known = known | val.known
        return Val(kind, data, known, scale=scale, col=col)

    def _extreme(self, args: list[exp.Expression], *, greatest: bool) -> Val:
        """GREATEST / LEAST as DuckDB runs them: NULL arguments are skipped."""
        vals = [self.ev(a) for a in args]
        kind, scale, _ = V.unify(vals)
        if kind not in ("num", "float", "date"):
            raise Unsupported(f"GREATEST or LEAST of {kind}")
        pick = np.maximum if greatest else np.minimum
        data, known = V.cast_to(vals[0], kind, scale), vals[0].known
        for val in vals[1:]:
            d = V.cast_to(val, kind, scale)
            both = known & val.known
            data = np.where(both, pick(data, d), np.where(known, data, d))
            known = known | val.known
        return Val(kind, self.full(data), self.full(known), scale=scale)

    def _cast(self, node: exp.Expression) -> Val:
        v = self.ev(node.this)
        to = node.args["to"]
        target = to.this
        if target == exp.DataType.Type.DATE:
            if v.kind == "str":
                day = dt.date.fromisoformat(str(v.data))
                return Val("date", np.int64((day - dt.date(1970, 1, 1)).days), v.known)
            if v.kind == "date":
                return v
        if target == exp.DataType.Type.DECIMAL and v.kind == "num":
            params = [p.this for p in to.expressions]
            scale = int(params[1].name) if len(params) > 1 else 0
            if scale >= v.scale:
                return Val("num", V.rescale(v, scale), v.known, scale=scale)
        if target in _INTEGER_TYPES and v.kind == "num" and v.scale == 0:
            return v
        raise Unsupported(f"CAST({v.kind} AS {to.sql()})")

    def _round(self, node: exp.Expression) -> Val:
        v = self.ev(node.this)
        places = int(node.args["decimals"].name) if node.args.get("decimals") else 0
        if v.kind != "num" or places < 0:
            raise Unsupported(f"ROUND of {v.kind}")
        if places >= v.scale:
            return v
        return Val("num", round_half_away(v.data, v.scale - places), v.known, scale=places)

    def _has_any(self, name: str, labels: frozenset[str]) -> Val:
        """ARRAY_CONTAINS(name, l) OR ... over ``labels``: NULL where the list is NULL
        (as each of them is), else whether the list holds one of them."""
        v = self.column(name)
        has = member_any(v.col, labels)
        return Val("bool", has if self.rows is None else np.take(has, self.rows), v.known)

    def _contains(self, node: exp.Expression) -> Val:
        v, wanted = self.ev(node.this), node.expression
        if v.kind != "list" or not (isinstance(wanted, exp.Literal) and wanted.is_string):
            raise Unsupported("ARRAY_CONTAINS other than of a list column and a text")
        assert v.col is not None
        has = member(v.col, wanted.name)
        return Val("bool", has if self.rows is None else np.take(has, self.rows), v.known)


def _tags_any(node: exp.Expression, frame: Frame) -> tuple[str, frozenset[str]] | None:
    """An OR of ARRAY_CONTAINS of one list column and texts: the column and the texts."""
    leaves: list[exp.Expression] = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, (exp.Or, exp.Paren)):
            todo.extend([n.this, n.expression] if isinstance(n, exp.Or) else [n.this])
        else:
            leaves.append(n)
    names, labels = set(), set()
    for leaf in leaves:
        target, wanted = leaf.this, leaf.args.get("expression")
        if not (
            isinstance(leaf, exp.ArrayContains)
            and isinstance(target, exp.Column)
            and isinstance(wanted, exp.Literal)
            and wanted.is_string
        ):
            return None
        names.add(target.name)
        labels.add(wanted.name)
    if len(names) != 1:
        return None
    name = names.pop()
    col = frame.columns.get(name)
    if col is None or col.kind != "list" or col.wide:
        return None
    return name, frozenset(labels)


def member_any(col: Any, labels: frozenset[str]) -> Any:
    """Per row of a list column: does its list hold one of ``labels`` (kept, as ``member``).
    An OR of such tests is one array read for a policy's rows, not one per label."""
    cache = col.__dict__.setdefault("_members_any", {})
    if labels not in cache:
        has = np.zeros(len(col.offsets) - 1, dtype=bool)
        for label in labels:
            has |= member(col, label)
        cache[labels] = has
    return cache[labels]


def member(col: Any, label: str) -> Any:
    """Per row of a list column: does its list hold ``label`` (a per-value index, kept)."""
    cache = col.__dict__.setdefault("_members", {})
    if label not in cache:
        n = len(col.offsets) - 1
        has = np.zeros(n, dtype=bool)
        code = col.code_of(label)
        if code >= 0:
            if "_owners" not in col.__dict__:
                col.__dict__["_owners"] = np.repeat(np.arange(n), np.diff(col.offsets))
            has[col.__dict__["_owners"][col.data == code]] = True
        cache[label] = has
    return cache[label]


def round_half_away(data: Any, digits: int) -> Any:
    """Integers divided by 10^digits, rounded half away from zero (DuckDB's ROUND)."""
    step = np.int64(10**digits)
    mag = np.abs(V.wide(data))
    q, r = mag // step, mag % step
    q = q + (2 * r >= step)
    return np.where(data < 0, -q, q)
