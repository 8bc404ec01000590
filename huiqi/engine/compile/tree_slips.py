"""Rule trees a policy officer new to huiqi writes meaning something a rule writes
otherwise, refused with what to write (QA, qa7): ``revenue_last_year`` (``revenue[-1]``),
``size_class = 'small' OR 'micro'`` (``size_class IN ('small', 'micro')``); and an amount
formula with a branch that gives no amount (a CASE without ``ELSE``), which lint warns of
(``engine.open_amounts``).

Example:
    >>> from sqlglot import parse_one
    >>> listed(parse_one("size_class = 'small' OR 'micro'"))
    "size_class IN ('small', 'micro')"
"""

from __future__ import annotations

from sqlglot import exp

from huiqi.profiles.dictionary import Dictionary

# What an author appends to a yearly field's name for last year's figure.
_LAST_YEAR_WORDS = frozenset(
    ("last_year", "lastyear", "prev", "previous", "prev_year", "previous_year", "prior_year", "ly")
)


def listed(node: exp.Expression) -> str | None:
    """``size_class IN ('small', 'micro')`` for ``size_class = 'small' OR 'micro'``."""
    values: list[exp.Expression] = []
    while isinstance(node, exp.Or) and isinstance(node.expression, exp.Literal):
        values.insert(0, node.expression)
        node = node.this
    if not values or not isinstance(node, exp.EQ) or not isinstance(node.expression, exp.Literal):
        return None
    if isinstance(node.this, exp.Literal):
        return None
    items = ", ".join(v.sql() for v in [node.expression, *values])
    return f"{node.this.sql()} IN ({items})"


def col_name(node: exp.Expression) -> str:
    """The field a ``field[k]`` node reads."""
    return node.this.name if isinstance(node.this, exp.Column) else node.this.sql()


def last_year_name(name: str, dictionary: Dictionary) -> str | None:
    """``revenue[-1]`` for ``revenue_last_year`` (or ``last_year_revenue``, ``_prev``):
    a yearly field named with its year in words. "see the data dictionary" did not
    say that a rule reads last year's figure with a year offset (QA, qa7)."""
    for field in dictionary.fields:
        if not field.yearly:
            continue
        rest = name.removeprefix(f"{field.name}_") if name.startswith(f"{field.name}_") else ""
        rest = rest or (
            name.removesuffix(f"_{field.name}") if name.endswith(f"_{field.name}") else ""
        )
        if rest in _LAST_YEAR_WORDS:
            return f"{field.name}[-1]"
    return None


def open_branch(tree: exp.Expression) -> str | None:
    """A CASE without ELSE (an IF without its third argument) in an amount formula: what
    to say of it, or None.

    An enterprise that the criteria let through and that no WHEN fits gets an unknown
    amount: "needs data", which no data could give (QA, qa7: tiers "5000万元以上30万元，
    1亿元以上50万元" with no ELSE). Where the criteria already hold every eligible
    enterprise inside a tier, the formula is right as written, so this is lint's warning
    (``engine.open_amounts``), not a refusal: a document's tiers often read so."""
    for node in tree.walk():
        if isinstance(node, exp.Case) and node.args.get("default") is None:
            return (
                "a CASE in an amount formula has no ELSE: an eligible enterprise that no WHEN"
                " fits would have no amount and be told it needs data; write ELSE 0 when it"
                " receives nothing"
            )
        # A CASE's WHEN branches are If nodes too, without a false branch of their own.
        is_branch = isinstance(node.parent, exp.Case)
        if isinstance(node, exp.If) and node.args.get("false") is None and not is_branch:
            return (
                "an IF in an amount formula has no third argument: an eligible enterprise for"
                " which the condition does not hold would have no amount and be told it needs"
                " data; write IF(condition, amount, 0)"
            )
    return None
