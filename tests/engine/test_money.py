"""Money: amounts are exact in fen, rounded half up once, clamped to floor and cap, never float."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from engine_factories import compile_yaml, policy_yaml

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.codes import DIALECT
from huiqi.engine.duckdb.evaluate import evaluate_in
from huiqi.engine.duckdb.frame import FRAME, build_frame
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile
from huiqi.engine.python.pyeval import evaluate_policy
from huiqi.errors import PolicyError

USCC = "91310115MA1K000001"


def amount_fen(cp: CompiledPolicy, prof: RawProfile) -> tuple[object, object]:
    """(bulk SQL amount, reference amount) for one enterprise."""
    con = duckdb.connect()
    load_profiles_into(con, [prof])
    (row,) = evaluate_in(con, [cp])
    return row.amount_fen, evaluate_policy(cp, prof).amount_fen


def money_policy(formula: str, **kwargs: str) -> CompiledPolicy:
    return compile_yaml(policy_yaml([("c", "TRUE")], formula=formula, **kwargs))


def profile(**year_values: str) -> RawProfile:
    return RawProfile(USCC, years={2024: {k: Decimal(v) for k, v in year_values.items()}})


AMOUNTS = [
    # (formula, cap, floor, 2024 values, expected fen)
    ("0.1 + 0.2", None, None, {}, 30),
    ("revenue + tax_paid", None, None, {"revenue": "0.10", "tax_paid": "0.20"}, 30),
    ("0.1 * rd_expense", None, None, {"rd_expense": "400000.05"}, 4000001),
    ("0.1 * rd_expense", None, None, {"rd_expense": "0.05"}, 1),
    ("0.1 * rd_expense", None, None, {"rd_expense": "0.15"}, 2),
    ("0.1 * rd_expense", None, None, {"rd_expense": "1.05"}, 11),
    ("0.001 * revenue", None, None, {"revenue": "1005.00"}, 101),
    ("0.005 * revenue", None, None, {"revenue": "1.00"}, 1),
    ("0.005 * revenue", None, None, {"revenue": "0.99"}, 0),
    ("0.001 * revenue", None, None, {"revenue": "4.49"}, 0),
    # rounding once: two terms of 0.45 fen sum to 0.9 fen -> 1 fen (rounding each would give 0)
    ("0.001 * revenue + 0.001 * tax_paid", None, None, {"revenue": "4.50", "tax_paid": "4.50"}, 1),
    # cap and floor
    ("0.1 * rd_expense", "500000", None, {"rd_expense": "99999999.99"}, 50000000),
    ("0.1 * rd_expense", "500000", None, {"rd_expense": "4999999.99"}, 50000000),
    ("0.1 * rd_expense", "500000", None, {"rd_expense": "4999999.90"}, 49999999),
    ("0.1 * rd_expense", None, "100", {"rd_expense": "0.00"}, 10000),
    ("0.1 * rd_expense", None, "100", {"rd_expense": "1000.05"}, 10001),
    ("0.1 * rd_expense", "100", "100", {"rd_expense": "5"}, 10000),
    ("revenue - tax_paid", None, None, {"revenue": "1", "tax_paid": "5"}, 0),
    # a cap below the computed amount (a cap is whole fen: 0.005 is refused by the model)
    ("0.1 * rd_expense", "0.01", None, {"rd_expense": "1"}, 1),
    # large values near 10^12 yuan
    ("revenue", None, None, {"revenue": "999999999999.99"}, 99999999999999),
    ("revenue * 1.5", None, None, {"revenue": "999999999999.99"}, 149999999999999),
    (
        "revenue + tax_paid",
        None,
        None,
        {"revenue": "999999999999.99", "tax_paid": "0.01"},
        100000000000000,
    ),
    ("1000000000000", "1000000000000", None, {}, 100000000000000),
    ("0.05 * revenue", None, None, {"revenue": "999999999999.99"}, 5000000000000),
]


@pytest.mark.parametrize(("formula", "cap", "floor", "values", "fen"), AMOUNTS)
def test_amount_is_exact_in_fen_in_bulk_sql_and_reference(
    formula: str, cap: str | None, floor: str | None, values: dict[str, str], fen: int
) -> None:
    kwargs = {k: v for k, v in (("cap", cap), ("floor", floor)) if v is not None}
    sql, py = amount_fen(money_policy(formula, **kwargs), profile(**values))
    assert (sql, py) == (fen, fen)
    assert type(sql) is int and type(py) is int


def test_unknown_amount_stays_unknown_not_floor() -> None:
    sql, py = amount_fen(money_policy("0.1 * rd_expense", floor="100"), profile())
    assert sql is None and py is None


def test_large_amount_with_three_decimal_rate_does_not_overflow() -> None:
    """Regression: '* 100' on DECIMAL(18, 5) overflowed in DuckDB and failed the whole query.

    0.125 × 999,999,999,999.99 yuan = 124,999,999,999.99875 yuan → 125,000,000,000.00 yuan.
    """
    sql, py = amount_fen(money_policy("0.125 * revenue"), profile(revenue="999999999999.99"))
    assert (sql, py) == (12500000000000, 12500000000000)


@pytest.mark.parametrize("cap", ["1.0e+6", '"1e6"'])
def test_cap_in_scientific_notation_never_reaches_an_amount(cap: str) -> None:
    """Regression: a cap like 1.0e+6 was written as a DOUBLE literal and made the amount a
    float; it was then kept exact, and is now refused where it is written (money is
    written in plain digits), so no amount is computed from it."""
    with pytest.raises(PolicyError, match="scientific notation"):
        money_policy("0.001 * revenue", cap=cap)
    sql, py = amount_fen(money_policy("0.001 * revenue", cap="1000000"), profile(revenue="1005.00"))
    assert (sql, py) == (101, 101)


def _duck_type_of_amount(cp: CompiledPolicy) -> str:
    con = duckdb.connect()
    load_profiles_into(con, [profile(revenue="1", rd_expense="1", tax_paid="1")])
    build_frame(con, cp.requirements)
    query = f"SELECT typeof({cp.amount.sql(dialect=DIALECT)}) FROM {FRAME}"
    (row,) = con.execute(query).fetchall()
    return str(row[0])


EXACT_FORMULAS = [
    "0.1 * rd_expense",
    "10000",
    "COALESCE(tax_paid, 0) * 0.5",
    "LEAST(GREATEST(revenue * 0.01, 1000), 50000)",
    "CASE WHEN rd_expense / revenue > 0.1 THEN 0.2 * rd_expense ELSE 0 END",
    "ABS(revenue - revenue[-1]) * 0.01",
]


def test_exponent_literal_is_refused() -> None:
    """Regression: '1e2' was typed as an exact decimal but DuckDB reads it as DOUBLE."""
    with pytest.raises(PolicyError, match="no exponent"):
        money_policy("1e2 * revenue")


@pytest.mark.parametrize("formula", EXACT_FORMULAS)
def test_amount_expression_is_never_float_in_duckdb(formula: str) -> None:
    ty = _duck_type_of_amount(money_policy(formula))
    assert ty.startswith(("DECIMAL", "INTEGER", "BIGINT", "HUGEINT")), ty


def test_amount_fen_column_is_bigint() -> None:
    cp = money_policy("0.1 * rd_expense", cap="500000")
    con = duckdb.connect()
    load_profiles_into(con, [profile(rd_expense="1.05")])
    build_frame(con, cp.requirements)
    from huiqi.engine.duckdb.policy_sql import evaluation_sql

    con.execute(f"CREATE TABLE r AS {evaluation_sql(cp, keep_all=True)}")
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'r'"
        ).fetchall()
    )
    assert types["amount_fen"] == "BIGINT"


def test_floor_above_cap_is_refused_at_the_floor() -> None:
    with pytest.raises(PolicyError) as info:
        compile_yaml(policy_yaml(formula="1", cap="100", floor="200"))
    assert info.value.message.startswith("floor 200 exceeds cap 100")
    assert info.value.location is not None
    assert (info.value.location.line, info.value.location.column) == (16, 41)
    assert info.value.location.field == "amount.floor"
