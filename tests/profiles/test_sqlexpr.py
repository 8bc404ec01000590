"""The SQLGlot builders the import's checks are made of: a node is copied only when a
tree already holds it, so building a file's checks does not deep-copy every branch."""

from __future__ import annotations

from sqlglot import exp

from huiqi.profiles.sqlexpr import and_, case, col, lit, not_, or_, own, sql


def test_own_takes_a_fresh_node_and_copies_a_held_one() -> None:
    fresh = col("a")
    assert own(fresh) is fresh
    held = col("b")
    tree = exp.Paren(this=held)
    copied = own(held)
    assert copied is not held and copied == held
    assert tree.this is held and held.parent is tree  # the first tree keeps its node


def test_a_node_used_twice_renders_in_both_places() -> None:
    v = col("v")
    first = case((v.is_(exp.null()), lit("missing")), default=v)
    second = case((not_(v.is_(exp.null())), v), default=lit("none"))
    # EQ(this=...) takes the CASE itself: it now belongs to this tree.
    eq_first = exp.EQ(this=first, expression=lit("x"))
    both = and_(eq_first, or_(exp.EQ(this=second, expression=lit("y")), not_(v.is_(exp.null()))))
    assert sql(first) == 'CASE WHEN "v" IS NULL THEN \'missing\' ELSE "v" END'
    assert sql(second) == 'CASE WHEN NOT "v" IS NULL THEN "v" ELSE \'none\' END'
    assert sql(both) == (
        "CASE WHEN \"v\" IS NULL THEN 'missing' ELSE \"v\" END = 'x' AND"
        ' (CASE WHEN NOT "v" IS NULL THEN "v" ELSE \'none\' END = \'y\' OR NOT "v" IS NULL)'
    )
    # Building the second tree left the first as it was.
    assert first.parent is eq_first
    assert sql(first) == 'CASE WHEN "v" IS NULL THEN \'missing\' ELSE "v" END'
