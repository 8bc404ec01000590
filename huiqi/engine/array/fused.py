"""The plan of a fused run: each column a run reads as buckets, each test a table over them.

For every frame column the run's policies read, the tests on that column alone (the
*leaves*: a comparison, an IN list, a membership in a list of tags, any tree that reads
that one column) are evaluated once by the array ``Evaluator`` over the column's
distinct values plus one NULL, so each table means exactly what the array backend and
DuckDB mean. Consecutive distinct values on which every leaf gives the same code are one
bucket; a row's bucket is where its value falls (``fused_plan`` evaluates buckets only).
A list of tags is read as the set of tags it holds (its *mask*).

A criterion that combines tests on several columns with AND, OR and NOT becomes a postfix
program over their leaves; a test that reads two columns at once (a ratio of two fields,
say) has no table, and its policy is matched by ``match_policy`` on the CPU instead
(``FusedRun.others``). So is a policy whose amount reads more than one column.

Building a plan costs the distinct values of each column (marked in a table where an
integer column's values span little, else sorted), one evaluation per leaf over them
and, per row, a search among its column's bucket boundaries; once per snapshot and
policy set; evaluating it (``fused_plan`` with NumPy,
``fused_kernel`` on a GPU) is the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from huiqi.engine.array.columns import Column, Frame, compact
from huiqi.engine.array.criteria import codes_of, key_of
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.fused_plan import (
    ALWAYS,
    AND,
    ERROR,
    FAILS,
    HOLDS,
    MARGIN,
    MAX_DEPTH,
    NEVER,
    NOT,
    OR,
    UNKNOWN,
    FusedPlan,
    _NumpyRun,
)
from huiqi.engine.array.money import to_fen
from huiqi.engine.array.values import Unsupported, everywhere
from huiqi.engine.compile.compiler import CompiledPolicy

# A list column of more distinct tags than this is not read as masks.
MAX_TAGS = 63
# Rows read to order each policy's criteria (most often failing first).
SAMPLE = 16_384


def columns_of(node: exp.Expression) -> set[str]:
    return {c.name for c in node.find_all(exp.Column)}


@dataclass
class _Leaf:
    column: str | None
    node: exp.Expression
    # The policy whose amount this is (None: a boolean test).
    amount: CompiledPolicy | None = None


@dataclass
class _Leaves:
    items: list[_Leaf] = field(default_factory=list)
    by_key: dict[tuple[str | None, Hashable], int] = field(default_factory=dict)

    def add(self, leaf: _Leaf, key: Hashable) -> int:
        k = (leaf.column, key)
        found = self.by_key.get(k)
        if found is None:
            found = self.by_key[k] = len(self.items)
            self.items.append(leaf)
        return found


# Comparisons whose first operand may be a value computed from several columns.
_TESTS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between, exp.In, exp.Is)


@dataclass
class _Derived:
    """Values computed once over every row from several columns, by name."""

    exprs: dict[str, tuple[exp.Expression, bool]] = field(default_factory=dict)

    def add(self, node: exp.Expression, *, boolean: bool) -> exp.Expression:
        text = node.sql()
        name = f"__fused_{hashlib.sha1(f'{boolean}:{text}'.encode()).hexdigest()[:16]}"
        self.exprs.setdefault(name, (node, boolean))
        return exp.column(name)


def shape(node: exp.Expression) -> tuple[Any, ...]:
    """A tree as nested tuples of its node types and arguments: equal exactly where the
    trees are (literal text compared as it is), and far cheaper than rendering SQL."""
    items: list[tuple[str, Any]] = []
    for key in sorted(node.args):
        value = node.args[key]
        if isinstance(value, exp.Expression):
            items.append((key, shape(value)))
        elif isinstance(value, list):
            items.append(
                (key, tuple(shape(v) if isinstance(v, exp.Expression) else v for v in value))
            )
        elif value is not None and value is not False:
            items.append((key, value))
    return (type(node), tuple(items))


def program(node: exp.Expression, leaves: _Leaves, derived: _Derived | None = None) -> list[int]:
    """The postfix program of a criterion's tree (raises ``Unsupported``). A test that
    reads several columns reads a value ``derived`` from them instead (their sum, say),
    or is itself derived (a comparison of two fields) where it cannot be split."""
    names = columns_of(node)
    if len(names) <= 1:
        column = next(iter(names), None)
        return [leaves.add(_Leaf(column, node), shape(node))]
    t = type(node)
    if t is exp.Paren:
        return program(node.this, leaves, derived)
    if t is exp.Not:
        return [*program(node.this, leaves, derived), NOT]
    if t in (exp.And, exp.Or):
        op = AND if t is exp.And else OR
        return [
            *program(node.this, leaves, derived),
            *program(node.expression, leaves, derived),
            op,
        ]
    if derived is None:
        raise Unsupported(f"a test that reads {', '.join(sorted(names))} at once")
    rest = [v for k, v in node.args.items() if k != "this"]
    if t in _TESTS and not any(
        columns_of(x) for v in rest for x in (v if isinstance(v, list) else [v]) if x is not None
    ):
        leaf = node.copy()
        leaf.set("this", derived.add(node.this, boolean=False))
    else:
        leaf = derived.add(node, boolean=True)
    return [leaves.add(_Leaf(columns_of(leaf).pop(), leaf), shape(leaf))]


def depth(ops: Sequence[int]) -> int:
    top = deepest = 0
    for op in ops:
        top += 1 if op >= 0 else (0 if op == NOT else -1)
        deepest = max(deepest, top)
    return deepest


# ---------------------------------------------------------------------- columns
ORDERED = ("num", "date", "float")
# An integer column whose values span at most this many (or twice its rows) is made
# distinct by marking the values seen, not by sorting.
DENSE_SPAN = 1 << 22


def _known_of(col: Column) -> Any:
    n = len(col.data) if col.kind != "list" else len(col.offsets) - 1
    return np.ones(n, dtype=bool) if col.known is None else np.asarray(col.known, dtype=bool)


def sorted_distinct(values: Any) -> Any:
    """The distinct values of a numeric array, ascending (NaN last, once)."""
    if not len(values):
        return values[:0]
    if values.dtype.kind in "iu":
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < max(DENSE_SPAN, 2 * len(values)):
            seen = np.zeros(hi - lo + 1, dtype=bool)
            seen[values.astype(np.int64) - lo] = True
            return (np.flatnonzero(seen) + lo).astype(values.dtype)
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    if ordered.dtype.kind == "f":
        keep[1:] &= ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    return ordered[keep]


def _like(col: Column, data: Any, known: Any) -> Column:
    """A column of ``col``'s kind and scale holding ``data``."""
    return Column(col.kind, data, known, scale=col.scale, labels=col.labels, text=col.text)


def _mini_column(col: Column, values: Any) -> Column:
    """A column of ``values`` (K rows) and one NULL row after them."""
    k = len(values)
    data = np.append(values, values[:1] if k else np.zeros(1, dtype=values.dtype))
    return _like(col, data, np.append(np.ones(k, dtype=bool), False))


def _distinct(col: Column) -> tuple[Column, Any]:
    """A label, boolean or tag-list column's distinct values as a column of K + 1 rows
    (the last NULL), and per frame row the index of its value (K where NULL)."""
    if col.wide:
        raise Unsupported("a column of decimals beyond 64 bits")
    known = _known_of(col)
    if col.kind == "bool":
        values: Any = np.array([False, True])
        index = np.asarray(col.data, dtype=np.int64)
    elif col.kind == "cat":
        values = np.arange(len(col.labels), dtype=np.int64)
        index = np.asarray(col.data, dtype=np.int64)
        known = known & (index >= 0)
    elif col.kind == "list":
        return _distinct_masks(col, known)
    else:
        raise Unsupported(f"a column of kind {col.kind}")
    return _mini_column(col, values), np.where(known, index, len(values))


def _distinct_masks(col: Column, known: Any) -> tuple[Column, Any]:
    codes = np.asarray(col.data, dtype=np.int64)
    if len(col.labels) > MAX_TAGS or (len(codes) and codes.min() < 0):
        raise Unsupported("a list column of more tags than a mask holds, or NULL tags")
    n = len(col.offsets) - 1
    owners = np.repeat(np.arange(n), np.diff(col.offsets))
    masks = np.zeros(n, dtype=np.uint64)
    np.bitwise_or.at(masks, owners, np.left_shift(np.uint64(1), codes.astype(np.uint64)))
    values, index = np.unique(masks, return_inverse=True)
    k = len(values)
    index = np.where(known, index, k)
    lists = [[b for b in range(len(col.labels)) if int(v) >> b & 1] for v in values.tolist()]
    lists.append([])
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    flat = np.array([b for x in lists for b in x], dtype=np.int64)
    mini_known = np.append(np.ones(k, dtype=bool), False)
    mini = Column("list", flat, mini_known, labels=col.labels, offsets=offsets)
    return mini, index


def _mini_frame(name: str | None, col: Column | None, rows: int) -> Frame:
    frame = Frame(uscc=pa.nulls(rows, pa.string()))
    if name is not None and col is not None:
        frame.columns[name] = col
    return frame


def leaf_codes(leaf: _Leaf, frame: Frame) -> Any:
    """The leaf's codes on every row of ``frame`` (a column's distinct values)."""
    ev = Evaluator(frame, None)
    if leaf.amount is None:
        return codes_of(ev.boolean(leaf.node))
    fen = to_fen(leaf.amount, ev.ev(leaf.node), ev.n)
    codes = np.where(fen.known, np.uint8(HOLDS), np.uint8(UNKNOWN))
    return np.where(fen.error, np.uint8(ERROR), codes).astype(np.uint8)


def _bucket(name: str, col: Column, leaves: list[_Leaf]) -> tuple[Any, list[Any]]:
    """Per row its bucket (compact ints), and per leaf its table by bucket (NULL last)."""
    if col.kind in ORDERED:
        return _bucket_ordered(name, col, leaves)
    column, index = _distinct(col)
    k = len(column.known) - 1
    mini = _mini_frame(name, column, k + 1)
    codes = [leaf_codes(leaf, mini) for leaf in leaves]
    if not k:  # every row NULL: one bucket
        return np.zeros(len(index), dtype=np.int8), [c[k:].astype(np.uint8) for c in codes]
    # Labels, booleans, sets of tags: a bucket is every value with the same codes.
    matrix = np.stack([c[:k] for c in codes], axis=1)
    unique, segment = np.unique(matrix, axis=0, return_inverse=True)
    firsts = [unique[:, j] for j in range(len(codes))]
    segment = np.append(np.asarray(segment).reshape(-1), len(unique)).astype(np.int32)
    tables = [np.append(f, c[k]).astype(np.uint8) for f, c in zip(firsts, codes, strict=True)]
    return compact(segment[index].astype(np.int64)), tables


def _bucket_ordered(name: str, col: Column, leaves: list[_Leaf]) -> tuple[Any, list[Any]]:
    """``_bucket`` of a numeric or date column: its distinct values in order, a bucket a
    run of neighbours the tests cannot tell apart, a row's bucket found by its value
    among the buckets' first values (a few dozen), not among every distinct value."""
    if col.wide:
        raise Unsupported("a column of decimals beyond 64 bits")
    data = np.asarray(col.data)
    known: Any = None if col.known is None else np.asarray(col.known, dtype=bool)
    every = known is None or bool(known.all())
    values = sorted_distinct(data if every else data[known])
    k = len(values)
    # The distinct values, every one known (no NULL to carry through each test), then the
    # NULL on its own.
    null = _mini_frame(name, _like(col, np.zeros(1, data.dtype), np.zeros(1, dtype=bool)), 1)
    if not k:  # every row NULL: one bucket
        return np.zeros(len(data), dtype=np.int8), [
            leaf_codes(leaf, null).astype(np.uint8) for leaf in leaves
        ]
    distinct = _mini_frame(name, _like(col, values, None), k)
    codes = [np.append(leaf_codes(leaf, distinct), leaf_codes(leaf, null)) for leaf in leaves]
    change = np.zeros(k - 1, dtype=bool)
    for c in codes:
        change |= c[1:k] != c[: k - 1]
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    tables = [np.append(c[starts], c[k]).astype(np.uint8) for c in codes]
    rows: Any = np.searchsorted(values[starts[1:]], data, side="right")
    if not every:
        rows = np.where(known, rows, len(starts))
    return compact(rows.astype(np.int64, copy=False)), tables


# ---------------------------------------------------------------------- plan
@dataclass
class FusedBuild:
    """A plan and what it left out: policies to match another way, with the reason."""

    plan: FusedPlan
    policies: list[CompiledPolicy]
    others: dict[str, str]


def build_plan(frame: Frame, policies: Sequence[CompiledPolicy]) -> FusedBuild:
    """The fused plan of ``policies`` over ``frame`` (the columns they read loaded)."""
    leaves = _Leaves()
    derived = _Derived()
    crit_ops: dict[str, int] = {}
    ops: list[list[int]] = []
    # Per criterion: its nearness and the criterion of its relaxed rule (-1: none).
    nearness: list[tuple[int, int]] = []
    planned: list[tuple[CompiledPolicy, list[int], int]] = []
    others: dict[str, str] = {}

    def add(key: str, tree: exp.Expression, near: tuple[int, int]) -> int:
        if key not in crit_ops:
            prog = program(tree, leaves, derived)
            if depth(prog) > MAX_DEPTH:
                raise Unsupported("a criterion nested deeper than the kernel's stack")
            crit_ops[key] = len(ops)
            ops.append(prog)
            nearness.append(near)
        return crit_ops[key]

    for cp in policies:
        mark = len(leaves.items), len(ops), dict(crit_ops), dict(derived.exprs)
        try:
            crits = []
            for crit in cp.checked:
                assert crit.tree is not None
                near = (NEVER, -1)
                if crit.nearness == "always":
                    near = (ALWAYS, -1)
                elif crit.nearness != "never" and crit.near is not None:
                    near = (MARGIN, add(f"near:{crit.near.sql()}", crit.near, (NEVER, -1)))
                crits.append(add(key_of(crit), crit.tree, near))
            node = cp.amount
            if len(columns_of(node)) > 1:
                node = derived.add(node, boolean=False)
            column = next(iter(columns_of(node)), None)
            amount = leaves.add(_Leaf(column, node, cp), ("amount", id(cp)))
        except Unsupported as exc:
            others[cp.policy.id] = str(exc)
            del leaves.items[mark[0] :]
            leaves.by_key = {k: v for k, v in leaves.by_key.items() if v < mark[0]}
            del ops[mark[1] :]
            del nearness[mark[1] :]
            crit_ops = mark[2]
            derived.exprs = mark[3]  # a left-out policy's values are not computed
            continue
        planned.append((cp, crits, amount))
    near_of = [c for _, c in nearness]
    build = _tabulate(_with_derived(frame, derived), leaves, ops, planned, others, near_of)
    if nearness:
        build.plan.near_kind = np.array([k for k, _ in nearness], dtype=np.int8)
        build.plan.near_crit = np.array([c for _, c in nearness], dtype=np.int32)
    return build


def _with_derived(frame: Frame, derived: _Derived) -> Frame:
    """``frame`` with the derived columns (one that cannot be computed is left out: the
    policies reading it go to the CPU path)."""
    out = Frame(uscc=frame.uscc, columns=dict(frame.columns))
    ev = Evaluator(frame, None)
    for name, (node, boolean) in derived.exprs.items():
        try:
            v = ev.boolean(node) if boolean else ev.ev(node)
        except Unsupported:
            continue
        if v.kind not in ("num", "float", "date", "bool"):
            continue
        data = np.ascontiguousarray(np.broadcast_to(v.data, (frame.rows,)))
        known = None if everywhere(v.known) else np.broadcast_to(v.known, (frame.rows,))
        if v.kind == "num":
            data = compact(data.astype(np.int64, copy=False))
        out.columns[name] = Column(v.kind, data, known, scale=v.scale)
    return out


def _tabulate(
    frame: Frame,
    leaves: _Leaves,
    ops: list[list[int]],
    planned: list[tuple[CompiledPolicy, list[int], int]],
    others: dict[str, str],
    near_of: list[int],
) -> FusedBuild:
    by_column: dict[str | None, list[int]] = {}
    for i, leaf in enumerate(leaves.items):
        by_column.setdefault(leaf.column, []).append(i)
    tables: list[Any] = [None] * len(leaves.items)
    leaf_column = np.full(len(leaves.items), -1, dtype=np.int32)
    names: list[str] = []
    buckets: list[Any] = []
    failed: dict[int, str] = {}
    for name, ids in by_column.items():
        try:
            if name is None:
                one = _mini_frame(None, None, 1)
                for i in ids:
                    tables[i] = leaf_codes(leaves.items[i], one)[:1].astype(np.uint8)
                continue
            if name not in frame.columns:
                raise Unsupported(f"the value {name} could not be derived")
            rows, got = _bucket(name, frame.columns[name], [leaves.items[i] for i in ids])
        except Unsupported as exc:
            failed.update((i, str(exc)) for i in ids)
            for i in ids:
                tables[i] = np.zeros(1, dtype=np.uint8)
            continue
        leaf_column[ids] = len(names)
        names.append(name)
        buckets.append(rows)
        for i, table in zip(ids, got, strict=True):
            tables[i] = table
    kept = []
    for cp, crits, amount in planned:
        used = [amount, *(op for c in crits for op in ops[c] if op >= 0)]
        used += [op for c in crits for op in ops[near_of[c]] if op >= 0 and near_of[c] >= 0]
        why = next((failed[i] for i in used if i in failed), None)
        if why is not None:
            others[cp.policy.id] = why
        else:
            kept.append((cp, crits, amount))
    sizes = np.array([len(t) for t in tables], dtype=np.int64)
    plan = FusedPlan(
        n=frame.rows,
        buckets=buckets,
        columns=names,
        tables=np.concatenate(tables) if tables else np.zeros(0, np.uint8),
        table_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        leaf_column=leaf_column,
        ops=np.array([op for prog in ops for op in prog], dtype=np.int32),
        op_start=np.concatenate([[0], np.cumsum([len(p) for p in ops])]).astype(np.int64),
        crits=np.zeros(0, np.int32),
        crit_start=np.zeros(1, np.int64),
        amount_leaf=np.array([a for _, _, a in kept], dtype=np.int32),
        policy_ids=[cp.policy.id for cp, _, _ in kept],
    )
    _order(plan, [crits for _, crits, _ in kept])
    return FusedBuild(plan, [cp for cp, _, _ in kept], others)


def _order(plan: FusedPlan, crits: list[list[int]]) -> None:
    """Each policy's criteria, the most often failing first (on an even sample of rows),
    with their places among the policy's checked criteria (``crit_pos``)."""
    step = max(1, plan.n // SAMPLE)
    sample = np.arange(0, plan.n, step)
    run = _NumpyRun(plan)
    fails: dict[int, float] = {}
    for c in {c for cs in crits for c in cs}:
        codes = run.criterion(c, sample)
        fails[c] = float(np.count_nonzero(codes == FAILS)) / max(len(sample), 1)
    ordered = [sorted(enumerate(cs), key=lambda jc: -fails[jc[1]]) for cs in crits]
    plan.crits = np.array([c for cs in ordered for _, c in cs], dtype=np.int32)
    plan.crit_pos = np.array([j for cs in ordered for j, _ in cs], dtype=np.int32)
    plan.crit_start = np.concatenate([[0], np.cumsum([len(cs) for cs in ordered])]).astype(np.int64)
