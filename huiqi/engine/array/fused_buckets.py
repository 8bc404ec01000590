"""A column of a fused run as buckets, and each of its leaves as a table over them.

The leaves on one column are evaluated once by the array ``Evaluator`` over the column's
distinct values (and a NULL apart), so each table means exactly what the array backend
and DuckDB mean. Consecutive distinct values of an ordered column on which every leaf
gives the same code are one bucket, and a row's bucket is found among the buckets' first
values; labels, booleans and lists of tags (read as the set they hold, a *mask*) are
bucketed by the codes they get.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from huiqi.engine.array.columns import Column, Frame, compact
from huiqi.engine.array.criteria import codes_of
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.fused_leaves import Leaf
from huiqi.engine.array.fused_plan import ERROR, HOLDS, UNKNOWN
from huiqi.engine.array.money import to_fen
from huiqi.engine.array.values import Unsupported

# A list column of more distinct tags than this is not read as masks.
MAX_TAGS = 63
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


def mini_frame(name: str | None, col: Column | None, rows: int) -> Frame:
    frame = Frame(uscc=pa.nulls(rows, pa.string()))
    if name is not None and col is not None:
        frame.columns[name] = col
    return frame


def leaf_codes(leaf: Leaf, frame: Frame) -> Any:
    """The leaf's codes on every row of ``frame`` (a column's distinct values)."""
    ev = Evaluator(frame, None)
    if leaf.amount is None:
        return codes_of(ev.boolean(leaf.node))
    fen = to_fen(leaf.amount, ev.ev(leaf.node), ev.n)
    codes = np.where(fen.known, np.uint8(HOLDS), np.uint8(UNKNOWN))
    return np.where(fen.error, np.uint8(ERROR), codes).astype(np.uint8)


def bucket(name: str, col: Column, leaves: list[Leaf]) -> tuple[Any, list[Any]]:
    """Per row its bucket (compact ints), and per leaf its table by bucket (NULL last)."""
    if col.kind in ORDERED:
        return bucket_ordered(name, col, leaves)
    column, index = _distinct(col)
    k = len(column.known) - 1
    mini = mini_frame(name, column, k + 1)
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


def bucket_ordered(name: str, col: Column, leaves: list[Leaf]) -> tuple[Any, list[Any]]:
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
    null = mini_frame(name, _like(col, np.zeros(1, data.dtype), np.zeros(1, dtype=bool)), 1)
    if not k:  # every row NULL: one bucket
        return np.zeros(len(data), dtype=np.int8), [
            leaf_codes(leaf, null).astype(np.uint8) for leaf in leaves
        ]
    distinct = mini_frame(name, _like(col, values, None), k)
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
