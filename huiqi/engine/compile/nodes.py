"""The SQLGlot node classes a rule's parsed tree may hold, and how to point at a node
(its character offset) and name it in the words an author would use."""

from __future__ import annotations

from sqlglot import exp

# Node classes that may appear anywhere in a rule (before function checks).
ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.In,
    exp.Between,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Abs,
    exp.Greatest,
    exp.Least,
    exp.Is,
    exp.Bracket,
    exp.Cast,
    exp.DataType,
    exp.Interval,
    exp.Var,
    exp.Anonymous,
)

# Words for the SQL constructs a rule cannot hold, as an author would call them.
_CONSTRUCTS = {
    "alias": "a name after a complete expression",
    "aliases": "a list in parentheses after a complete expression",
    "star": "'*' without a number on each side",
    "column": "a field",
}


def offset_of(node: exp.Expression) -> int | None:
    for n in node.walk():
        meta = getattr(n, "_meta", None) or {}
        if "start" in meta:
            return int(meta["start"])
    return None


def describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Func) and not isinstance(node, exp.Anonymous):
        return node.sql_name()
    return _CONSTRUCTS.get(node.key, node.key.upper().replace("_", " "))
