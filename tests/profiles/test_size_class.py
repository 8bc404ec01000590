"""The 2017 size-class rule: scalar, numpy and SQL evaluators must agree."""

import random
from decimal import Decimal

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.size_class import (
    classify,
    classify_many,
    group_for,
    load_size_groups,
    refresh_size_classes,
    size_class_sql,
)
from huiqi.profiles.storeschema import create_schema

W = Decimal(10_000)  # one 万元 in yuan


@pytest.mark.parametrize(
    ("industry", "employees", "revenue_wan", "assets_wan", "expected"),
    [
        ("6513", 120, 800, None, "small"),  # standards.md worked example: medium fails on Y
        ("6513", 8, 800, None, "micro"),  # one indicator under the small bound suffices
        ("6513", 300, 10000, None, "large"),  # bounds are inclusive
        ("6513", 299, 10000, None, "medium"),
        ("3973", 1000, 39999, None, "medium"),  # industry: large needs Y >= 40000 too
        ("3973", 19, 100000, None, "micro"),
        ("4710", None, 80000, 80000, "large"),  # construction ignores employees
        ("4710", 5, 299, 100000, "micro"),
        ("5199", 5, 1000, None, "small"),  # wholesale
        ("5292", 10, 100, None, "small"),  # retail
        ("5910", 1000, 30000, None, "large"),  # 装卸搬运 counts as transport, not warehousing
        ("5920", 200, 30000, None, "large"),  # warehousing
        ("7010", None, 1000, 5000, "medium"),  # real-estate development: Y and Z
        ("7020", 100, 500, None, "small"),  # property management
        ("7212", 10, None, 100, "small"),  # leasing and business services: X and Z
        ("0111", None, 20000, None, "large"),  # agriculture: Y only
        ("6621", 300, None, None, "large"),  # finance is outside the rule: "other" row, X only
        ("7340", 9, None, None, "micro"),
    ],
)
def test_rule_table(industry, employees, revenue_wan, assets_wan, expected) -> None:
    revenue = None if revenue_wan is None else revenue_wan * W
    assets = None if assets_wan is None else assets_wan * W
    assert classify(industry, employees, revenue, assets) == expected


def test_cent_below_a_bound_drops_a_class() -> None:
    assert classify("6513", 300, Decimal("99999999.99"), None) == "medium"
    assert classify("6513", 300, Decimal("100000000.00"), None) == "large"


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "assets"),
    [("6513", None, Decimal(1), None), ("6513", 5, None, None), ("4710", 5, Decimal(1), None),
     (None, 5, Decimal(1), Decimal(1)), ("65X3", 5, Decimal(1), Decimal(1)),
     ("9901", 5, Decimal(1), Decimal(1)), ("I6513", 5, Decimal(1), Decimal(1))],
)  # fmt: skip
def test_unknown_when_a_needed_value_or_the_class_is_missing(
    industry, employees, revenue, assets
) -> None:
    assert classify(industry, employees, revenue, assets) is None


def test_every_division_maps_to_one_group() -> None:
    assert group_for("5910").id == "transport"
    assert group_for("5930").id == "warehousing"
    assert group_for("5311").id == "other"  # railways: no row we are sure of
    assert group_for("8514").id == "other"
    assert sum(g.fallback for g in load_size_groups()) == 1


# Inputs around every bound of every group, plus random ones, for the agreement tests.
_INDUSTRIES = ["0111", "0610", "3973", "4420", "4710", "5199", "5292", "5311", "5431", "5910",
               "5920", "6020", "6110", "6210", "6311", "6421", "6513", "6621", "7010", "7020",
               "7030", "7212", "7340", "8310", "8411", "8514", "9700", "9901", "65X3", None]  # fmt: skip
_EMPLOYEE_EDGES = sorted({b + d for g in load_size_groups() for b in g.bounds.get("employees", {}).values() for d in (-1, 0, 1)})  # fmt: skip
_MONEY_EDGES = sorted({b + d for g in load_size_groups() for i in ("revenue", "total_assets") for b in g.bounds.get(i, {}).values() for d in (Decimal("-0.01"), 0, Decimal("0.01"))})  # fmt: skip


def _random_cases(count: int, seed: int) -> list[tuple]:
    rnd = random.Random(seed)

    def money() -> Decimal | None:
        roll = rnd.random()
        if roll < 0.05:
            return None
        if roll < 0.6:
            return Decimal(rnd.choice(_MONEY_EDGES))
        return Decimal(rnd.randrange(0, 3_000_000_000_00)) / 100

    def people() -> int | None:
        roll = rnd.random()
        if roll < 0.05:
            return None
        return rnd.choice(_EMPLOYEE_EDGES) if roll < 0.6 else rnd.randrange(0, 5000)

    return [(rnd.choice(_INDUSTRIES), people(), money(), money()) for _ in range(count)]


_CON = duckdb.connect()
_EXPR = size_class_sql("industry", "employees", "revenue", "assets").sql(dialect="duckdb")


def _sql_results(cases: list[tuple]) -> list[str | None]:
    rows = pa.table(
        {
            "i": pa.array(range(len(cases)), pa.int32()),
            "industry": pa.array([c[0] for c in cases], pa.string()),
            "employees": pa.array([c[1] for c in cases], pa.int64()),
            "revenue": pa.array([c[2] for c in cases], pa.decimal128(18, 2)),
            "assets": pa.array([c[3] for c in cases], pa.decimal128(18, 2)),
        }
    )
    _CON.register("cases", rows)
    try:
        return [r[0] for r in _CON.execute(f"SELECT {_EXPR} FROM cases ORDER BY i").fetchall()]
    finally:
        _CON.unregister("cases")


def test_scalar_sql_and_numpy_agree_on_thousands_of_cases() -> None:
    cases = _random_cases(4000, seed=2017)
    expected = [classify(*c) for c in cases]
    assert _sql_results(cases) == expected
    valid = [(k, c) for k, c in enumerate(cases) if c[0] is not None]
    missing = np.array([[c[i] is None for _, c in valid] for i in (1, 2, 3)])
    many = classify_many(
        np.array([c[0] for _, c in valid]),
        np.array([c[1] or 0 for _, c in valid]),
        np.array([int((c[2] or 0) * 100) for _, c in valid]),
        np.array([int((c[3] or 0) * 100) for _, c in valid]),
        missing=missing,
    )
    assert list(many) == [expected[k] for k, _ in valid]
    assert {"large", "medium", "small", "micro", None} <= set(expected)


@settings(max_examples=80, deadline=None)
@given(
    industry=st.sampled_from(_INDUSTRIES),
    employees=st.one_of(st.none(), st.integers(0, 100_000)),
    revenue=st.one_of(st.none(), st.decimals(0, 10**13, places=2)),
    assets=st.one_of(st.none(), st.decimals(0, 10**13, places=2)),
)
def test_scalar_and_sql_agree_on_generated_cases(industry, employees, revenue, assets) -> None:
    case = (industry, employees, revenue, assets)
    assert _sql_results([case]) == [classify(*case)]


def test_sql_is_built_as_a_tree_with_literal_bounds() -> None:
    sql = size_class_sql("e.industry_class", "y.employees", "y.revenue", "y.total_assets").sql(
        dialect="duckdb"
    )
    assert "REGEXP_MATCHES(e.industry_class, '^[0-9]{4}$')" in sql
    assert "y.revenue >= 100000000" in sql  # software large bound: 10,000 万元 in yuan


def test_refresh_updates_stored_years_from_the_enterprise_class() -> None:
    con = duckdb.connect()
    create_schema(con, load_dictionary())
    con.execute(
        "INSERT INTO enterprises (uscc, industry_class) VALUES"
        " ('A', '6513'), ('B', '4710'), ('C', NULL)"
    )
    con.execute(
        "INSERT INTO enterprise_years (uscc, year, employees, revenue, total_assets) VALUES"
        " ('A', 2024, 120, 8000000, NULL), ('A', 2025, 400, 200000000, NULL),"
        " ('B', 2025, 3, 1000000000, 900000000), ('C', 2025, 10, 1, 1),"
        " ('Z', 2025, 10, 1, 1)"
    )
    con.execute("UPDATE enterprise_years SET size_class = 'micro' WHERE uscc = 'Z'")
    assert refresh_size_classes(con) == 5
    rows = con.execute(
        "SELECT uscc, year, size_class::VARCHAR FROM enterprise_years ORDER BY uscc, year"
    ).fetchall()
    assert rows == [
        ("A", 2024, "small"),
        ("A", 2025, "large"),
        ("B", 2025, "large"),
        ("C", 2025, None),
        ("Z", 2025, None),  # no enterprise row: the stale value is cleared
    ]
