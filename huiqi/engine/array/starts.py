"""Where a policy starts: the few rows a criterion leaves, found in held indexes, not a scan.

A policy's kept rows all pass each of its criteria or are unknown on it (a near miss
may also fail one actionable criterion, inside its margin). For criteria of a few
shapes the rows that can pass are found without reading the population, from
indexes built once per column and kept with it:

* ``district_code IN ('310114')``, ``"credit_dishonest"``: the rows of those values
  (a per-value index: rows grouped by code);
* ``ARRAY_CONTAINS("tags", 'cert_ce')``: the rows whose list holds the label;
* ``revenue >= 180000``, ``registration_date <= CAST('2023-12-31' AS DATE)``, ``BETWEEN``:
  a range of the column's sorted order (a sorted index: row ids ordered by value);
* an AND of those: the smaller side.

Each adds the rows where the column is NULL (unknown, so needs data). The set found
may be larger than the rows that pass (a bound is rounded outwards); it is never
smaller, and the criterion is then evaluated exactly on it (``match``), so only the
work changes, never a result. A criterion's start is the rows where it holds or is
unknown; with near misses, a margin criterion's start also takes its relaxed rule's
rows, and an attainable criterion (failing it is always a near miss) has none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from sqlglot import exp

from huiqi.engine.array.columns import Column, Frame
from huiqi.engine.array.criteria import key_of
from huiqi.engine.array.evaluate import member
from huiqi.engine.array.index import value_codes
from huiqi.engine.compile.compiler import CompiledCriterion

_LOW, _HIGH = -(2**63), 2**63 - 1
_FLIP = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT, exp.EQ: exp.EQ}


@dataclass(frozen=True)
class Start:
    """Rows a criterion can keep: ``count`` of them (an upper bound), ``rows()`` ascending."""

    count: int
    rows: Callable[[], Any]
    # A range lo:hi of a column's sorted order (plus its NULL rows): two of them over
    # the same column unite into their hull.
    span: tuple[Column, int, int] | None = None
    # Its criterion is TRUE on every one of its rows (no NULL among them, no bound
    # rounded): not to be read again.
    holds_all: bool = False


def _cached(col: Column, key: str, build: Callable[[], Any]) -> Any:
    found = col.__dict__.get(key)
    if found is None:
        found = col.__dict__[key] = build()
    return found


def _nulls(col: Column) -> Any:
    if col.known is None:
        return np.zeros(0, dtype=np.int64)
    return _cached(col, "_null_rows", lambda: np.flatnonzero(~col.known))


def sorted_index(col: Column) -> tuple[Any, Any]:
    """The known rows ordered by value (int32 row ids) and their values in that order."""

    def build() -> tuple[Any, Any]:
        rows = np.arange(len(col.data)) if col.known is None else np.flatnonzero(col.known)
        values = col.data[rows]
        order = np.argsort(values, kind="stable")
        return rows[order].astype(np.int32), values[order]

    return _cached(col, "_sorted", build)


def _groups(col: Column) -> tuple[Any, Any]:
    """Rows grouped by value (NULL first): row ids, and where each value's rows start."""

    def build() -> tuple[Any, Any]:
        if col.kind == "bool":
            codes = np.where(col.data, 2, 1).astype(np.int16)
            if col.known is not None:
                codes[~col.known] = 0
            size = 3
        else:
            codes = (col.data + 1).astype(np.int32 if len(col.labels) > 30_000 else np.int16)
            size = len(col.labels) + 1
        order = np.argsort(codes, kind="stable")
        return order, np.searchsorted(codes[order], np.arange(size + 1))

    return _cached(col, "_groups", build)


def _ascending(parts: list[Any], n: int, *, each_ascending: bool = True) -> Any:
    """The row ids of ``parts`` (distinct) in one ascending array: a sort for a few, a
    mask of all ``n`` rows read back for many."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    if len(parts) == 1 and each_ascending:
        return parts[0].astype(np.int64, copy=False)
    total = sum(len(p) for p in parts)
    if total * 3 < n:
        # Sorted as 32 bits where row ids fit (twice as fast), read back as 64.
        joined = np.concatenate(parts)
        if n <= np.iinfo(np.int32).max:
            joined = joined.astype(np.int32, copy=False)
        return np.sort(joined).astype(np.int64, copy=False)
    mask = np.zeros(n, dtype=bool)
    for p in parts:
        mask[p] = True
    return np.flatnonzero(mask)


def _of_groups(col: Column, wanted: list[int]) -> Start:
    """The rows of group codes ``wanted`` (0 is NULL) as a Start."""
    order, starts = _groups(col)
    wanted = sorted(set(wanted) | {0})
    count = int(sum(starts[c + 1] - starts[c] for c in wanted))

    def rows() -> Any:
        return _ascending([order[starts[c] : starts[c + 1]] for c in wanted], len(order))

    return Start(count, rows, holds_all=bool(starts[1] == starts[0]))


def _span(col: Column, lo: int, hi: int) -> Start:
    order, values = sorted_index(col)
    nulls = _nulls(col)
    hi = max(lo, hi)

    def rows() -> Any:
        # One value's rows are ascending already (a stable sort); a range of values' are not.
        one = hi - lo < 2 or values[lo] == values[hi - 1]
        return _ascending([order[lo:hi], nulls], len(col.data), each_ascending=one)

    return Start(hi - lo + len(nulls), rows, span=(col, lo, hi), holds_all=not len(nulls))


def _bound(node: exp.Expression, col: Column) -> Decimal | None:
    """A literal compared with ``col``, in the column's integers (days, scaled numbers)."""
    while isinstance(node, exp.Paren):
        node = node.this
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if col.kind == "date":
        if isinstance(node, exp.Cast) and node.args["to"].this == exp.DataType.Type.DATE:
            inner = node.this
            if isinstance(inner, exp.Literal) and inner.is_string and not negative:
                try:
                    day = dt.date.fromisoformat(inner.name)
                except ValueError:
                    return None
                return Decimal((day - dt.date(1970, 1, 1)).days)
        return None
    if col.kind != "num" or col.wide or not isinstance(node, exp.Literal) or node.is_string:
        return None
    try:
        value = Decimal(node.name)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return (-value if negative else value).scaleb(col.scale)


def _clamp(v: int) -> int:
    return min(max(v, _LOW), _HIGH)


def _range(col: Column, low: Decimal | None, high: Decimal | None, *, strict: bool) -> Start:
    """Rows whose value lies in [low, high] (open ends where None; ``strict``: exclusive)."""
    _, values = sorted_index(col)
    lo, hi = 0, len(values)
    if low is not None:
        first = math.floor(low) + 1 if strict else math.ceil(low)
        lo = int(np.searchsorted(values, _clamp(first), side="left")) if first <= _HIGH else hi
    if high is not None:
        last = math.ceil(high) - 1 if strict else math.floor(high)
        hi = int(np.searchsorted(values, _clamp(last), side="right")) if last >= _LOW else 0
    return _span(col, lo, hi)


def _compare(tree: exp.Expression, frame: Frame) -> Start | None:
    op: type[exp.Expression] = type(tree)
    left, right = tree.this, tree.expression
    if not isinstance(left, exp.Column):
        left, right, op = right, left, _FLIP[op]
    if not isinstance(left, exp.Column):
        return None
    col = frame.columns.get(left.name)
    if col is None or col.kind not in ("num", "date"):
        return None
    bound = _bound(right, col)
    if bound is None:
        return None
    if op is exp.EQ:
        return _range(col, bound, bound, strict=False)
    if op in (exp.GTE, exp.GT):
        return _range(col, bound, None, strict=op is exp.GT)
    return _range(col, None, bound, strict=op is exp.LT)


def tree_start(tree: exp.Expression, frame: Frame) -> Start | None:
    """The rows where ``tree`` can be TRUE or NULL, from an index, or None."""
    while isinstance(tree, exp.Paren):
        tree = tree.this
    coded = value_codes(tree, frame)
    if coded is not None:
        return _of_groups(frame.columns[coded[0]], [c + 1 for c in coded[1]])
    if isinstance(tree, exp.Not) and isinstance(tree.this.unnest(), exp.ArrayContains):
        return _contains(tree.this.unnest(), frame, negated=True)
    if isinstance(tree, exp.And):
        sides = [tree_start(tree.this, frame), tree_start(tree.expression, frame)]
        found = [s for s in sides if s is not None]
        if not found:
            return None
        return dataclasses.replace(min(found, key=lambda s: s.count), holds_all=False)
    if isinstance(tree, exp.Column) or (
        isinstance(tree, exp.Not) and isinstance(tree.this, exp.Column)
    ):
        name = tree.name if isinstance(tree, exp.Column) else tree.this.name
        col = frame.columns.get(name)
        if col is None or col.kind != "bool":
            return None
        return _of_groups(col, [2 if isinstance(tree, exp.Column) else 1])
    if isinstance(tree, exp.ArrayContains):
        return _contains(tree, frame)
    if type(tree) in _FLIP:
        return _compare(tree, frame)
    if isinstance(tree, exp.Between):
        target, low, high = tree.this, tree.args["low"], tree.args["high"]
        col = frame.columns.get(target.name) if isinstance(target, exp.Column) else None
        if col is None or col.kind not in ("num", "date"):
            return None
        lo, hi = _bound(low, col), _bound(high, col)
        if lo is None or hi is None:
            return None
        return _range(col, lo, hi, strict=False)
    return None


def _contains(tree: exp.Expression, frame: Frame, *, negated: bool = False) -> Start | None:
    target, wanted = tree.this, tree.expression
    if not isinstance(target, exp.Column):
        return None
    if not (isinstance(wanted, exp.Literal) and wanted.is_string):
        return None
    col = frame.columns.get(target.name)
    if col is None or col.kind != "list":
        return None
    has = member(col, wanted.name)
    unknown = None if col.known is None else ~col.known
    if negated:  # NOT ARRAY_CONTAINS: the rows without it (few ever start there: not kept)
        count = len(has) - int(np.count_nonzero(has if unknown is None else has & ~unknown))
        return Start(
            count,
            lambda: np.flatnonzero(~has if unknown is None else ~has | unknown),
            holds_all=unknown is None,
        )
    cache = col.__dict__.setdefault("_member_rows", {})
    if wanted.name not in cache:
        cache[wanted.name] = np.flatnonzero(has if unknown is None else has | unknown)
    rows = cache[wanted.name]
    return Start(len(rows), lambda: rows, holds_all=unknown is None)


def union(a: Start, b: Start) -> Start:
    """Rows in either (a superset: two ranges over one column give their hull)."""
    if a.span and b.span and a.span[0] is b.span[0]:
        hull = _span(a.span[0], min(a.span[1], b.span[1]), max(a.span[2], b.span[2]))
        return dataclasses.replace(hull, holds_all=False)
    return Start(a.count + b.count, lambda: np.union1d(a.rows(), b.rows()))


def criterion_start(crit: CompiledCriterion, frame: Frame, *, near_misses: bool) -> Start | None:
    """The rows ``crit`` can keep (see the module doc), or None where no index says;
    kept with the frame (the same criterion is in many policies)."""
    key = (key_of(crit), near_misses)
    if key not in frame.starts:
        frame.starts[key] = _criterion_start(crit, frame, near_misses=near_misses)
    return frame.starts[key]


def _criterion_start(crit: CompiledCriterion, frame: Frame, *, near_misses: bool) -> Start | None:
    if crit.tree is None:
        return None
    if not near_misses or crit.nearness == "never":
        return tree_start(crit.tree, frame)
    if crit.nearness == "always" or crit.near is None:
        return None
    strict, relaxed = tree_start(crit.tree, frame), tree_start(crit.near, frame)
    if strict is None or relaxed is None:
        return None
    return union(strict, relaxed)


def build_indexes(
    frame: Frame, criteria: Iterable[CompiledCriterion]
) -> list[tuple[CompiledCriterion, float]]:
    """Build (once; they are kept with the columns) the indexes these criteria start
    from; the share of rows each start leaves, where there is one."""
    shares = []
    for crit in criteria:
        found = criterion_start(crit, frame, near_misses=False)
        criterion_start(crit, frame, near_misses=True)
        if found is not None:
            shares.append((crit, found.count / max(frame.rows, 1)))
    return shares
