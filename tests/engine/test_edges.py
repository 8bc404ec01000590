"""Lint's edge frame: every policy runs on extreme data on every backend, or lint says where not."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlglot
from engine_factories import policy_yaml

from huiqi.engine.compile.compiler import compile_policy
from huiqi.engine.compile.library import compile_library
from huiqi.engine.edges import edge_errors, edge_profiles
from huiqi.engine.frame_columns import FrameColumn
from huiqi.policies.loader import load_library, load_policy_text

RATE = "offshore_outsourcing_income >= 0.35 * revenue"


def test_the_shipped_library_runs_on_the_edge_frame_on_every_backend() -> None:
    lib = compile_library(load_library())
    assert not lib.errors
    assert (
        edge_errors([(cp, lp.marks) for lp, cp in zip(lib.loaded, lib.compiled, strict=True)]) == []
    )


def test_edge_profiles_hold_the_largest_values_a_field_admits() -> None:
    cols = [
        FrameColumn("yearly", "revenue", year=2024),
        FrameColumn("yearly", "employees", year=2024),
    ]
    profiles = edge_profiles(cols)
    revenues = {p.years[2024].get("revenue") for p in profiles}
    employees = {p.years[2024].get("employees") for p in profiles}
    # The ends of the dictionary ranges: compiled arithmetic is bounded by them.
    assert {None, Decimal(0), Decimal("10000000000000")} <= revenues
    assert {None, 0, 1, 5_000_000} <= employees


def test_a_rule_that_overflows_in_duckdb_is_a_lint_error_at_its_line_and_column() -> None:
    """What lint said yes to before the widening pass: a product of two money fields in
    DECIMAL(18) overflowed in DuckDB on the largest values. Lint runs it and points at it."""
    loaded = load_policy_text(policy_yaml([("ok", "revenue > 0"), ("rate", RATE)]), "p.yaml")
    cp = compile_policy(loaded)
    unwidened = sqlglot.parse_one(
        '"offshore_outsourcing_income__2024" * "revenue__2024" >= 0', read="duckdb"
    )
    crit = dataclasses.replace(cp.criteria[1], tree=unwidened)
    broken = dataclasses.replace(cp, criteria=(cp.criteria[0], crit))
    (err,) = edge_errors([(broken, loaded.marks)])
    assert err.location is not None
    assert (err.location.line, err.location.column, err.location.field) == (
        18,
        11,
        "criteria[1].expr",
    )
    assert err.message.startswith("criterion 'rate': fails on the duckdb backend")
    assert "Overflow" in err.message
    # The compiled rule itself runs.
    assert edge_errors([(cp, loaded.marks)]) == []


def test_backends_that_disagree_are_a_lint_error() -> None:
    loaded = load_policy_text(policy_yaml([("c", "revenue > 0")]), "p.yaml")
    cp = compile_policy(loaded)
    # BETWEEN SYMMETRIC (refused by the scanner): DuckDB swaps the bounds, the reference
    # evaluator does not.
    raw = sqlglot.parse_one('"revenue__2024" BETWEEN SYMMETRIC 1 AND 0', read="duckdb")
    broken = dataclasses.replace(cp, criteria=(dataclasses.replace(cp.criteria[0], tree=raw),))
    (err,) = edge_errors([(broken, loaded.marks)])
    assert "backends disagree" in err.message
    assert err.location is not None and err.location.field == "criteria[0].expr"
