"""Where SQL dialects differ in meaning, and how a neutral rule tree is adapted to each.

The lowered rule trees (``compile/lower.py``) hold only node types every dialect
renders, but rendering alone does not keep their meaning. The reference evaluator
(``python/pyeval.py``) defines it; these are the places where a dialect would
otherwise compute something else, each handled here as a pass over a copy of the
tree, never by editing SQL text:

==================  ==========================  ==========================================
difference          the reference's meaning     what a dialect needs
==================  ==========================  ==========================================
division            a float quotient (7/2=3.5)  PostgreSQL divides integers as integers
                                                (7/2=3) and Spark divides decimals as
                                                decimals: both operands become DOUBLE
date + interval     a DATE, month ends clamped  PostgreSQL gives a TIMESTAMP: cast to DATE
                    (31 Jan + 1 month = 29 Feb)
has_tag on NULL     unknown                     SQLGlot writes PostgreSQL's ``= ANY(..)``
                                                inside COALESCE(.., FALSE): guard the NULL
NULL in IN lists    refused by the compiler     (nothing reaches SQL; ``x IN (.., NULL)``
                                                is NULL in every dialect, not FALSE)
text order          code points (binary)        PostgreSQL orders by the database's
                                                collation: its tables use COLLATE "C"
exact decimals      60 digits, half up          38 digits everywhere (the compiler bounds
                                                every value); Spark must keep the scale
                                                (``allowPrecisionLoss`` off) and rounds
                                                half up like ROUND in PostgreSQL
==================  ==========================  ==========================================

Three-valued logic needs nothing: AND, OR, NOT, CASE and comparisons with NULL
mean the same in the three dialects, and GREATEST / LEAST (which skip NULLs in
all of them) are guarded by the compiler's ``three_valued`` pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from sqlglot import exp


def _double(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))


class SqlDialect:
    """A SQLGlot dialect and the passes that keep the reference's meaning in it."""

    name: ClassVar[str]
    # The type of text columns in tables this backend creates (None: the engine's own).
    text_collation: ClassVar[str | None] = None

    def adapt(self, tree: exp.Expression) -> exp.Expression:
        """A copy of a lowered rule tree that means in this dialect what it means in the
        reference evaluator."""
        out = tree.copy()
        for step in (self.float_division, self.date_intervals, self.tag_tests):
            out = step(out)
        return out

    def render(self, tree: exp.Expression) -> str:
        return tree.sql(dialect=self.name)

    @staticmethod
    def float_division(tree: exp.Expression) -> exp.Expression:
        """``a / b`` as a float quotient, whatever the operands' types."""
        for node in list(tree.find_all(exp.Div)):
            node.set("this", _double(node.this))
            node.set("expression", _double(node.expression))
            node.set("typed", False)
            node.set("safe", False)
        return tree

    @staticmethod
    def date_intervals(tree: exp.Expression) -> exp.Expression:
        """``date +/- INTERVAL`` stays a DATE (PostgreSQL would make it a TIMESTAMP)."""
        return _wrap(
            tree,
            lambda n: isinstance(n, exp.Add | exp.Sub) and isinstance(n.expression, exp.Interval),
            lambda n: exp.Cast(this=n, to=exp.DataType.build("DATE")),
        )

    @staticmethod
    def tag_tests(tree: exp.Expression) -> exp.Expression:
        """``has_tag(tags, t)`` is unknown when ``tags`` is (a NULL list holds nothing known)."""
        return _wrap(
            tree,
            lambda n: isinstance(n, exp.ArrayContains),
            lambda n: exp.Case(
                ifs=[
                    exp.If(this=exp.Is(this=n.this.copy(), expression=exp.Null()), true=exp.Null())
                ],
                default=n,
            ),
        )


def _wrap(
    tree: exp.Expression,
    match: Callable[[exp.Expression], bool],
    wrap: Callable[[exp.Expression], exp.Expression],
) -> exp.Expression:
    """Put each node that ``match``es inside ``wrap(node)``, in place (the root too)."""
    for node in list(tree.find_all(exp.Expression)):
        if not match(node):
            continue
        parent, key, index = node.parent, node.arg_key, node.index
        wrapped = wrap(node)
        if parent is None:
            tree = wrapped
        else:
            parent.set(key, wrapped, index=index)
    return tree


class PostgresDialect(SqlDialect):
    name: ClassVar[str] = "postgres"
    # Text compares by code point, as in DuckDB, Spark and Python, whatever the
    # database's locale (zh_CN.UTF-8 would order 北京 before 上海).
    text_collation: ClassVar[str | None] = "C"

    def adapt(self, tree: exp.Expression) -> exp.Expression:
        return self.typed_nulls(super().adapt(tree))

    @staticmethod
    def typed_nulls(tree: exp.Expression) -> exp.Expression:
        """A NULL that nothing types (``-NULL``, ``ABS(NULL)``, ``NULL + NULL``) as a NUMERIC:
        PostgreSQL cannot choose an operator for an untyped NULL and refuses the query."""

        def bare(node: exp.Expression | None) -> bool:
            while isinstance(node, exp.Paren):
                node = node.this
            return isinstance(node, exp.Null)

        def untyped(node: exp.Expression) -> bool:
            if not isinstance(node, exp.Null):
                return False
            parent = node.parent
            while isinstance(parent, exp.Paren):
                parent = parent.parent
            if isinstance(parent, exp.Neg | exp.Abs):
                return True
            if isinstance(parent, exp.Add | exp.Sub | exp.Mul | exp.Div):
                return bare(parent.this) and bare(parent.expression)
            if isinstance(parent, exp.Greatest | exp.Least | exp.Coalesce):
                return all(bare(a) for a in [parent.this, *parent.expressions])
            return False

        return _wrap(tree, untyped, lambda n: exp.Cast(this=n, to=exp.DataType.build("DECIMAL")))


class SparkDialect(SqlDialect):
    name: ClassVar[str] = "spark"
    # Session settings the meaning depends on: exact decimals keep their scale (Spark
    # would otherwise drop decimals past 38 digits), and overflow is an error, not NULL.
    session_conf: ClassVar[dict[str, str]] = {
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        "spark.sql.ansi.enabled": "true",
    }
