"""The SQLGlot builders the import's checks are made of: a node is copied only when a
tree already holds it, so building a file's checks does not deep-copy every branch."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot import exp

from huiqi.profiles.checkselect import Facts, _replaced, checked_select
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.mapping import Mapping
from huiqi.profiles.mapping_finder import all_mappings
from huiqi.profiles.sqlexpr import and_, case, col, fn, is_null, lit, not_, num, or_, own, sql


def test_own_takes_a_fresh_node_and_copies_a_held_one() -> None:
    fresh = col("a")
    assert own(fresh) is fresh
    held = col("b")
    tree = exp.Paren(this=held)
    copied = own(held)
    assert copied is not held and copied == held
    assert tree.this is held and held.parent is tree  # the first tree keeps its node


def test_is_null_takes_a_fresh_operand_and_copies_a_held_one() -> None:
    fresh = fn("try_cast_int", col("a"))
    assert is_null(fresh).this is fresh
    tree = exp.Paren(this=fresh)
    again = is_null(fresh)
    assert again.this is not fresh and tree.this is fresh
    assert sql(again) == 'TRY_CAST_INT("a") IS NULL'


def test_a_reason_reads_its_parse_from_the_column_and_stays_as_it_was() -> None:
    """Only the nodes on the way to a replaced parse are new: the reason it was built from
    (which the other path's reason may be) renders as before, and what is not on the way
    is shared, not copied."""
    parse = fn("try_strptime", col("d"), lit("%Y"))
    other = fn("upper", col("e"))
    reason = case((is_null(parse), lit("not a date")), default=fn("concat", other, lit("!")))
    before = sql(reason)
    replaced = _replaced(reason, {parse.copy(): col("_parsed1", "n")})
    assert sql(replaced) == (
        'CASE WHEN "n"."_parsed1" IS NULL THEN \'not a date\' ELSE CONCAT(UPPER("e"), \'!\') END'
    )
    assert replaced.args["default"] is reason.args["default"]  # off the way: shared
    assert sql(reason) == before  # (rendering it settles its shared nodes as copies)
    assert _replaced(reason, {fn("lower", col("x")): col("y")}) is reason  # nothing to replace
    assert _replaced(reason, {}) is reason


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


def test_a_shared_node_renders_as_its_own_tree_holds_it() -> None:
    # The renderer brackets a % by what holds it; a node held by two trees knows only its
    # last parent. Rendered without care, 100 * (a % 31) would read (100 * a) % 31.
    m = exp.Mod(this=col("a"), expression=num(31))
    product = exp.Mul(this=num(100), expression=m)
    exp.EQ(this=m, expression=num(0))  # m's parent is now this EQ
    assert product.sql(dialect="duckdb", copy=False) == '100 * "a" % 31'  # the hazard
    assert sql(product) == '100 * ("a" % 31)'
    assert sql(product) == '100 * ("a" % 31)'  # and again: rendering changes nothing


def _check_statement(mapping: Mapping, facts: Facts, split: bool) -> exp.Select:
    return checked_select(mapping, facts, exp.select("*").from_("s"), split=split)


@pytest.mark.parametrize("name", sorted(all_mappings(Path("/nonexistent"))))
def test_check_statements_render_as_sqlglot_renders_a_copy(name: str) -> None:
    """Every built-in layout's check statement (text and typed numbers, USCCs checked once
    or per row, with and without the short way) reads the same as SQLGlot's own copy."""
    d = load_dictionary()
    mapping = all_mappings(Path("/nonexistent"))[name]
    fields = sorted(set(mapping.columns.values()))
    types = {f: field.type for f in fields if (field := d.get(f)) is not None}
    numbers = {
        f: 0 if kind == "integer" else 2
        for f, kind in types.items()
        if kind in ("integer", "money", "decimal")
    }
    for twins in ({}, numbers):
        for once in (True, False):
            for split in (True, False):
                facts = Facts(fields, twins, once)
                expected = _check_statement(mapping, facts, split).sql(dialect="duckdb")
                statement = _check_statement(mapping, facts, split)
                assert sql(statement) == expected, (twins, once, split)
                assert sql(statement) == expected
