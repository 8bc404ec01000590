"""Per-value indexes of coded columns: the rows holding each value, found without a scan.

A criterion such as ``district_code IN ('310115', '310104')`` over a coded column is
answered from the column's rows sorted by code (built once per column, kept with it):
the rows where it holds are those of its values, the rows where it is unknown those
of NULL, and every other row fails. A policy that starts from such a criterion
reads only those rows instead of the whole population. ``value_codes`` reads the
wider family of such tests (NOT IN, <>, a range of text, an AND on one column) as the
codes where they hold, for ``starts`` and ``ranges``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlglot import exp

from huiqi.engine.array.columns import Column, Frame
from huiqi.engine.array.criteria import HOLDS, UNKNOWN
from huiqi.engine.array.values import text_table


@dataclass(frozen=True)
class ValueTest:
    """A criterion that is "this coded column takes one of these values"."""

    column: str
    values: frozenset[str]


def value_test(tree: exp.Expression, frame: Frame) -> ValueTest | None:
    """The criterion as a ValueTest when it has that shape, else None."""
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.In) and not tree.args.get("query"):
        target, items = tree.this, tree.expressions
    elif isinstance(tree, exp.EQ):
        target, items = tree.this, [tree.expression]
        if isinstance(target, exp.Literal):
            target, items = tree.expression, [tree.this]
    else:
        return None
    if not isinstance(target, exp.Column) or not items:
        return None
    if not all(isinstance(i, exp.Literal) and i.is_string for i in items):
        return None
    col = frame.columns.get(target.name)
    if col is None or col.kind != "cat":
        return None
    return ValueTest(target.name, frozenset(i.name for i in items))


_TEXT_ORDER = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}


def _text_codes(tree: exp.Expression, frame: Frame) -> tuple[str, list[int]] | None:
    """``text_column OP 'text'`` (< <= > >=) as its column and the codes where it holds."""
    op, column, text = _TEXT_ORDER.get(type(tree)), tree.this, tree.expression
    if op is None or not isinstance(column, exp.Column):
        return None
    if not (isinstance(text, exp.Literal) and text.is_string):
        return None
    col = frame.columns.get(column.name)
    if col is None or col.kind != "cat" or not col.text:
        return None
    return column.name, np.flatnonzero(text_table(col, op, text.name)[:-1]).tolist()


def value_codes(tree: exp.Expression, frame: Frame) -> tuple[str, list[int]] | None:
    """A test of a coded column's value (IN, =, NOT IN, <>, a text range, an AND of them
    on one column) as the column and the codes where it holds (NULL aside: unknown)."""
    tree = tree.unnest()
    if isinstance(tree, exp.And):
        a, b = value_codes(tree.this, frame), value_codes(tree.expression, frame)
        if a is None or b is None or a[0] != b[0]:
            return None
        return a[0], sorted(set(a[1]) & set(b[1]))
    ordered = _text_codes(tree, frame)
    if ordered is not None:
        return ordered
    negated = isinstance(tree, (exp.Not, exp.NEQ))
    inner = tree.this.unnest() if isinstance(tree, exp.Not) else tree
    if isinstance(tree, exp.NEQ):
        inner = exp.EQ(this=tree.this, expression=tree.expression)
    test = value_test(inner, frame)
    if test is None:
        return None
    col = frame.columns[test.column]
    codes = {col.code_of(v) for v in test.values} - {-2}
    if negated:  # every other value
        codes = set(range(len(col.labels))) - codes
    return test.column, sorted(codes)


def _sorted_rows(col: Column) -> tuple[Any, Any]:
    """The rows sorted by code, and where each code's rows start (code -1, NULL, first)."""
    cached = col.__dict__.get("_by_value")
    if cached is None:
        codes = col.data.astype(np.int64) + 1
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(len(col.labels) + 2))
        cached = col.__dict__["_by_value"] = (order, starts)
    return cached


def rows_and_codes(test: ValueTest, frame: Frame) -> tuple[Any, Any]:
    """The rows where ``test`` holds or is unknown (ascending), and its code on each."""
    col = frame.columns[test.column]
    order, starts = _sorted_rows(col)
    wanted = sorted(c + 1 for c in (col.code_of(v) for v in test.values) if c >= 0)
    parts = [order[starts[c] : starts[c + 1]] for c in wanted]
    holds = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    null = order[starts[0] : starts[1]]
    rows = np.concatenate([holds, null])
    codes = np.concatenate(
        [np.full(len(holds), HOLDS, dtype=np.uint8), np.full(len(null), UNKNOWN, dtype=np.uint8)]
    )
    arrange = np.argsort(rows, kind="stable")
    return rows[arrange], codes[arrange]
