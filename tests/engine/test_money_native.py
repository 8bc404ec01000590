"""The amount in 64-bit decimals where the compiler's bound proves it fits (duckdb/amount._native).

DuckDB types ``LEAST(n, 8) * 12 * 969.80`` as DECIMAL(24, 2); clamping and rounding that
in 128 bits made sh-startup-social-insurance-subsidy-2026's simulation over 3.5 M
enterprises 0.5 s. The value is now cast to one DECIMAL(18, s) first, and a formula whose
bound stays below NARROW_YUAN is converted without a test per row. The amounts must stay
exactly those of the reference evaluator.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_factories import compile_yaml, policy_yaml
from test_money import amount_fen, money_policy, profile

from huiqi.engine import compile_policy
from huiqi.engine.duckdb.amount import NARROW_YUAN, fen_expression, yuan_of
from huiqi.engine.duckdb.codes import DIALECT
from huiqi.policies.loader import library_dir, load_policy_text

NATIVE = [
    # (formula, cap, floor, 2024 values, expected fen)
    ("LEAST(employees, 8) * 12 * 969.80", None, None, {"employees": "3"}, 3491280),
    ("LEAST(employees, 8) * 12 * 969.80", None, None, {"employees": "12"}, 9310080),
    ("LEAST(employees, 8) * 12 * 969.80", None, None, {"employees": "0"}, 0),
    # the cap has more decimals than the formula: the common scale is the cap's (2), not 1
    ("LEAST(employees, 8) * 1.5", "10.25", None, {"employees": "8"}, 1025),
    ("LEAST(employees, 8) * 1.5", "10.25", None, {"employees": "6"}, 900),
    # half up once, at the fen, from three decimals
    ("LEAST(employees, 8) * 0.005", None, None, {"employees": "1"}, 1),
    ("LEAST(employees, 8) * 0.004", None, None, {"employees": "1"}, 0),
    # a floor with decimals
    ("LEAST(employees, 8) * 0.5", None, "0.75", {"employees": "1"}, 75),
    # the largest value the bound admits: 5,000,000 x 969.80 yuan
    ("employees * 969.80", None, None, {"employees": "5000000"}, 484900000000),
    # a money field's rate, 13 digits at most, no cap (sh-stable-jobs-refund-2026's shape)
    ("0.6 * ui_premiums_paid", None, None, {"ui_premiums_paid": "9999999999999.99"}, None),
    ("0.6 * ui_premiums_paid", None, None, {"ui_premiums_paid": "12345.67"}, 740740),
    ("0.3 * ui_premiums_paid", None, None, {"ui_premiums_paid": "1234.55"}, 37037),
]


@pytest.mark.parametrize(("formula", "cap", "floor", "values", "fen"), NATIVE)
def test_native_amount_is_the_reference_amount(
    formula: str, cap: str | None, floor: str | None, values: dict[str, str], fen: int | None
) -> None:
    kwargs = {k: v for k, v in (("cap", cap), ("floor", floor)) if v is not None}
    sql, py = amount_fen(money_policy(formula, **kwargs), profile(**values))
    if fen is None:  # the largest value: whatever the reference says, to the fen
        expected = (Decimal(values["ui_premiums_paid"]) * Decimal("0.6")).quantize(Decimal("0.01"))
        fen = int(expected * 100)
    assert (sql, py) == (fen, fen)
    assert type(sql) is int


def _fen_sql(formula: str, **kwargs: str) -> str:
    cp = compile_yaml(policy_yaml([("c", "TRUE")], formula=formula, **kwargs))
    return fen_expression(cp, yuan_of(cp)).sql(dialect=DIALECT)


def test_a_bounded_decimal_formula_is_clamped_in_64_bits() -> None:
    sql = _fen_sql("LEAST(employees, 8) * 12 * 969.80")
    assert "DECIMAL(18, 2)" in sql and "DECIMAL(38" not in sql
    # 5,000,000 x 11,637.60 yuan stays below NARROW_YUAN: no test per row
    assert str(int(NARROW_YUAN)) not in sql


def test_a_formula_that_may_reach_the_narrow_limit_keeps_its_test() -> None:
    # revenue reaches 10^13 yuan, times 1.5: the 128-bit path stays for those rows
    sql = _fen_sql("revenue * 1.5")
    assert str(int(NARROW_YUAN)) in sql and "DECIMAL(38, 2)" in sql


def test_the_library_policies_that_were_slow_take_the_64_bit_path() -> None:
    for stem in ("sh-startup-social-insurance-subsidy-2026", "sh-stable-jobs-refund-2026"):
        path = library_dir() / f"{stem}.yaml"
        cp = compile_policy(load_policy_text(path.read_text(encoding="utf-8"), path.name))
        sql = fen_expression(cp, yuan_of(cp)).sql(dialect=DIALECT)
        assert "DECIMAL(38" not in sql and str(int(NARROW_YUAN)) not in sql, stem
