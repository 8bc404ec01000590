"""Small builders for the importer's SQL, as SQLGlot trees rendered for DuckDB.

File contents never appear in SQL text: values reach DuckDB as table data or
parameters, and the only names and literals written here come from the data
dictionary, the code lists and the importer's own messages.
"""

from __future__ import annotations

from sqlglot import exp

DIALECT = "duckdb"


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    """A DuckDB function call, passed through untranslated."""
    return exp.Anonymous(this=name, expressions=list(args))


def lit(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def num(value: int | float | str) -> exp.Expression:
    return exp.Literal.number(value)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def cast(value: exp.Expression, to: str) -> exp.Expression:
    return exp.Cast(this=value, to=exp.DataType.build(to, dialect=DIALECT))


def try_cast(value: exp.Expression, to: str) -> exp.Expression:
    return exp.TryCast(this=value, to=exp.DataType.build(to, dialect=DIALECT))


def matches(value: exp.Expression, pattern: str) -> exp.Expression:
    """Whole-string regular-expression match (RE2 syntax)."""
    return fn("regexp_full_match", value, lit(pattern))


def concat(*parts: exp.Expression | str) -> exp.Expression:
    return fn("concat", *(lit(p) if isinstance(p, str) else p for p in parts))


def case(
    *branches: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None
) -> exp.Expression:
    """CASE WHEN c1 THEN v1 ... [ELSE default] END.

    Built in one go: ``Case.when`` copies the whole CASE on every branch, which made
    building a file's checks (a few hundred branches) cost seconds of Python.
    """
    ifs = [exp.If(this=own(condition), true=own(value)) for condition, value in branches]
    return exp.Case(ifs=ifs, default=own(default) if default is not None else None)


def own(node: exp.Expression) -> exp.Expression:
    """``node`` itself when no tree holds it yet, else a copy of it.

    A node placed in a second tree would be re-parented away from the first; a fresh
    one (most of a rule's values and messages) needs no copy, and deep-copying every
    branch was most of the Python time of building a file's checks.
    """
    return node if node.parent is None else node.copy()


def and_(*conditions: exp.Expression) -> exp.Expression:
    """``c1 AND c2 ...``, taking fresh operands as they are (see :func:`own`)."""
    return exp.and_(*(own(c) for c in conditions), copy=False)


def or_(*conditions: exp.Expression) -> exp.Expression:
    """``c1 OR c2 ...``, taking fresh operands as they are (see :func:`own`)."""
    return exp.or_(*(own(c) for c in conditions), copy=False)


def not_(condition: exp.Expression) -> exp.Expression:
    """``NOT c``, taking a fresh operand as it is (see :func:`own`)."""
    return exp.not_(own(condition), copy=False)


def is_null(value: exp.Expression) -> exp.Expression:
    """``value IS NULL``, taking a fresh operand as it is (SQLGlot's ``is_`` copies it,
    and a rule's parse is tested for NULL in most of its reasons)."""
    return exp.Is(this=own(value), expression=exp.Null())


def in_list(value: exp.Expression, options: list[str]) -> exp.Expression:
    return exp.In(this=value, expressions=[lit(o) for o in options])


def sql(node: exp.Expression) -> str:
    """The statement's text. SQLGlot copies a tree before rendering it, because a node
    held by two trees knows only its last parent, and the renderer reads parents (a
    ``%`` is bracketed by what holds it); copying a file's check statement was a tenth
    of a small import's time. Here only those shared nodes are copied, in place, and
    the tree is rendered as it then is."""
    if node.parent is not None:
        return node.sql(dialect=DIALECT)
    return settled(node).sql(dialect=DIALECT, copy=False)


def settled(root: exp.Expression) -> exp.Expression:
    """``root`` with every node its children's parent: a child whose parent is another
    node (it is held by another tree too) is replaced by a copy of it."""
    stack = [root]
    while stack:
        node = stack.pop()
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                if value.parent is not node:
                    node.set(key, value.copy())
                else:
                    stack.append(value)
            elif type(value) is list:
                for i, child in enumerate(value):
                    if not isinstance(child, exp.Expression):
                        continue
                    if child.parent is not node:
                        copied = child.copy()
                        value[i] = copied
                        copied.parent, copied.arg_key, copied.index = node, key, i
                    else:
                        stack.append(child)
    return root
