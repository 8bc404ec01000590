"""The tests of a fused run as leaves, and each criterion as a postfix program over them.

A *leaf* is a test that reads one column (or none): a comparison, an IN list, a
membership in a list of tags, any tree of that one column. A criterion that combines
leaves with AND, OR and NOT becomes a postfix Kleene program over them; a test that
reads several columns reads a value *derived* once from them (their sum, say), or is
itself derived where it cannot be split (a comparison of two fields). Leaves are shared
across policies by the exact shape of their trees (``shape``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from huiqi.engine.array.fused_plan import AND, NOT, OR
from huiqi.engine.array.values import Unsupported
from huiqi.engine.compile.compiler import CompiledPolicy


def columns_of(node: exp.Expression) -> set[str]:
    return {c.name for c in node.find_all(exp.Column)}


@dataclass
class Leaf:
    column: str | None
    node: exp.Expression
    # The policy whose amount this is (None: a boolean test).
    amount: CompiledPolicy | None = None


@dataclass
class Leaves:
    items: list[Leaf] = field(default_factory=list)
    by_key: dict[tuple[str | None, Hashable], int] = field(default_factory=dict)

    def add(self, leaf: Leaf, key: Hashable) -> int:
        k = (leaf.column, key)
        found = self.by_key.get(k)
        if found is None:
            found = self.by_key[k] = len(self.items)
            self.items.append(leaf)
        return found


# Comparisons whose first operand may be a value computed from several columns.
_TESTS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between, exp.In, exp.Is)


@dataclass
class Derived:
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


def program(node: exp.Expression, leaves: Leaves, derived: Derived | None = None) -> list[int]:
    """The postfix program of a criterion's tree (raises ``Unsupported``). A test that
    reads several columns reads a value ``derived`` from them instead (their sum, say),
    or is itself derived (a comparison of two fields) where it cannot be split."""
    names = columns_of(node)
    if len(names) <= 1:
        column = next(iter(names), None)
        return [leaves.add(Leaf(column, node), shape(node))]
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
    return [leaves.add(Leaf(columns_of(leaf).pop(), leaf), shape(leaf))]


def depth(ops: Sequence[int]) -> int:
    top = deepest = 0
    for op in ops:
        top += 1 if op >= 0 else (0 if op == NOT else -1)
        deepest = max(deepest, top)
    return deepest
