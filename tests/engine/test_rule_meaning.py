"""Issue 9, "Rules that mean what they say": every case the issue lists, as a regression test.

Each accepted rule runs on every backend (DuckDB and the reference evaluator) with the
same status and amount; each refused one gets a message in the author's terms that
points at the character it is about.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from huiqi.engine.backend import get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.edges import usable_backends
from huiqi.engine.profile import profile_from_case
from huiqi.engine.results import AMOUNT_TOO_LARGE
from huiqi.errors import RuleCompileError

REVENUE_MAX = "10000000000000"  # the dictionary range's largest revenue


def refused(expr: str = "revenue > 0", formula: str = "10000") -> str:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", expr)], formula=formula))
    message = info.value.message
    for internal in ("<class", "sqlglot", "Required keyword", "ALIAS", "JSONEXTRACT", "READ"):
        assert internal not in message, message
    return message


def run_everywhere(cp: CompiledPolicy, data: dict[str, Any]) -> tuple[str, int | None]:
    """(status, amount_fen of an eligible row) for one enterprise, the same on every backend."""
    prof = profile_from_case(data, data_year=cp.policy.data_year)
    got = {
        name: [
            (e.status, e.amount_fen if e.status == "eligible" else None)
            for e in get_backend(name).evaluate([prof], [cp])
        ]
        for name in usable_backends()
    }
    assert len({tuple(v) for v in got.values()}) == 1, got
    ((status, amount),) = next(iter(got.values()))
    return status, amount


# ---------------------------------------------------------------- hidden or changed meaning


@pytest.mark.parametrize(
    ("expr", "at"),
    [
        ("employees > 10 -- AND NOT credit_dishonest", 16),
        ("employees > 10 /* ; DROP TABLE enterprises */", 16),
        ("/* x */ employees > 10", 1),
    ],
)
def test_comments_are_refused_where_they_start(expr: str, at: int) -> None:
    """Regression: a comment hid 'AND NOT credit_dishonest' and the policy paid a 失信 firm."""
    assert refused(expr) == (
        "criterion 'c': comments are not allowed in a rule: the whole text is the rule; put"
        f" explanations in the criterion's label (at character {at} of the expression)"
    )


def test_a_word_the_parser_would_drop_is_refused() -> None:
    """Regression: 'employees > 10 foo' became an alias; the message said 'ALIAS'."""
    assert refused("employees > 10 foo") == (
        "criterion 'c': 'foo' follows a complete expression; join the two with an operator"
        " (AND, OR, =, +, ...) (at character 16 of the expression)"
    )


def test_least_with_this_years_revenue_missing_needs_data() -> None:
    """Regression: LEAST skipped the missing revenue and the enterprise was 'eligible'."""
    cp = compile_yaml(policy_yaml([("c", "LEAST(revenue, revenue[-1]) >= 500000")]))
    assert run_everywhere(cp, {"revenue": {2023: 900000}}) == ("needs_data", None)
    assert run_everywhere(cp, {"revenue": {2023: 900000, 2024: 600000}}) == (
        "eligible",
        1_000_000,
    )


def test_least_in_an_amount_with_the_count_missing_pays_nothing() -> None:
    """Regression: LEAST(insured_employees, 8) * 12 * 969.80 paid 93,100.80 with no data."""
    cp = compile_yaml(
        policy_yaml([("c", "revenue > 0")], formula="LEAST(insured_employees, 8) * 12 * 969.80")
    )
    assert run_everywhere(cp, {"revenue": 1}) == ("needs_data", None)
    assert run_everywhere(cp, {"revenue": 1, "insured_employees": 3}) == ("eligible", 3491280)


# Each allowed function with an unknown in each argument: unknown (needs data), except
# holds/recognised_in (a missing certificate is not held) and COALESCE (its purpose).
UNKNOWN_ARGUMENTS = [
    ("ABS(revenue) > 0", {}, "needs_data"),
    ("GREATEST(revenue, 1) > 0", {}, "needs_data"),
    ("GREATEST(1, revenue) > 0", {}, "needs_data"),
    ("LEAST(revenue, 1) > 0", {}, "needs_data"),
    ("LEAST(1, revenue) > 0", {}, "needs_data"),
    ("GREATEST(registration_date, DATE '2020-01-01') > DATE '2019-01-01'", {}, "needs_data"),
    ("IF(credit_dishonest, FALSE, TRUE)", {}, "needs_data"),
    ("IF(TRUE, revenue > 0, FALSE)", {}, "needs_data"),
    ("IF(FALSE, TRUE, revenue > 0)", {}, "needs_data"),
    ("CASE WHEN credit_dishonest THEN FALSE ELSE TRUE END", {}, "needs_data"),
    ("COALESCE(revenue, revenue[-1]) > 0", {}, "needs_data"),
    ("COALESCE(revenue, 1) > 0", {}, "eligible"),
    ("years_since(registration_date) < 3", {}, "needs_data"),
    ("has_tag(tags, 'ai')", {}, "needs_data"),
    ("holds(high_tech)", {}, "not_eligible"),  # known FALSE; a status, never a near miss
    ("recognised_in(high_tech, data_year)", {}, "not_eligible"),
]


@pytest.mark.parametrize(("expr", "data", "status"), UNKNOWN_ARGUMENTS)
def test_every_function_is_three_valued(expr: str, data: dict[str, Any], status: str) -> None:
    cp = compile_yaml(policy_yaml([("c", expr)]))
    assert run_everywhere(cp, data)[0] == status


def test_if_in_an_amount_with_an_unknown_condition_pays_nothing() -> None:
    """IF(cond, a, b) with cond unknown took b: 2,000 yuan paid on no data."""
    cp = compile_yaml(
        policy_yaml(
            [("c", "revenue > 0")],
            formula="IF(founder_graduation_year >= data_year - 5, 5000, 2000)",
        )
    )
    assert run_everywhere(cp, {"revenue": 1}) == ("needs_data", None)
    assert run_everywhere(cp, {"revenue": 1, "founder_graduation_year": 2000}) == (
        "eligible",
        200000,
    )


def test_a_literal_that_cannot_be_exact_is_refused() -> None:
    """Regression: 41 digits were read as a DOUBLE and 1.005 paid 1.00."""
    assert refused(formula="1.0050000000000000000000000000000000000000") == (
        "amount formula: '1.0050000000000000000000000000000000000000' has 41 significant"
        " digits; an exact number has at most 38 (round it, or drop trailing zeros)"
        " (at character 1 of the expression)"
    )


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ("district_code = ('310199')", "310199"),
        ("size_class = CASE WHEN TRUE THEN 'bogus' END", "bogus"),
        ("COALESCE(district_code, '310199') = '310104'", "310199"),
        ("IF(TRUE, size_class, 'tiny') = 'small'", "tiny"),
        ("size_class IN ('small', 'tiny')", "tiny"),
    ],
)
def test_code_list_values_are_checked_wherever_they_appear(expr: str, code: str) -> None:
    """Regression: a code in parentheses, a CASE or a COALESCE was never checked."""
    assert f"'{code}' is not a code of" in refused(expr)


def test_codes_have_no_order() -> None:
    """DuckDB orders an ENUM by position, the reference evaluator by text: refuse < on codes."""
    assert "codes have no order" in refused("size_class < 'small'")


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("employees BETWEEN SYMMETRIC 30 AND 1", "BETWEEN takes the low bound first"),
        ("employees > 10;", "remove the ';'"),
        ("employees IN ()", "IN () is an empty list"),
        ("IIF(credit_dishonest, FALSE, TRUE)", "function 'IIF' is not allowed"),
        ("IFNULL(employees, 0) > 1", "function 'IFNULL' is not allowed"),
        ("NVL(employees, 0) > 1", "function 'NVL' is not allowed"),
        ("!credit_dishonest", "'!' is not part of the rule language: write NOT"),
        ("employees == 1", "'==' is not part of the rule language: write '=' to compare"),
        ("employees IN [1, 2]", "IN takes a list in parentheses"),
        ("recognised_in(high_tech, -2025)", "recognised_in needs a year from 1900 to 2100"),
        ("registration_date > DATE '2025W01'", "'2025W01' is not a date"),
        ("registration_date > DATE '1800-01-01'", "outside the dates huiqi holds"),
        ("employees = NULL", "a comparison with NULL is always unknown"),
        ("employees BETWEEN 1 AND NULL", "BETWEEN with NULL is never true"),
        ("employees BETWEEN NULL AND 10", "BETWEEN with NULL is never true"),
        ("NULL BETWEEN 1 AND 10", "BETWEEN with NULL is never true"),
        ("registration_date > as_of - INTERVAL 3 YEARS", "write an interval as INTERVAL n YEAR"),
    ],
)
def test_what_the_docs_do_not_list_is_refused(expr: str, message: str) -> None:
    assert message in refused(expr)


# ---------------------------------------------------------------- lint said yes, the run crashed


@pytest.mark.parametrize(
    ("expr", "formula", "message"),
    [
        ("employees > 10 = TRUE", "10000", "comparisons do not chain"),
        ("registration_date > DATE '20250203'", "10000", "'20250203' is not a date"),
        (
            "revenue > 99999999999999999999999999999999999999999",
            "10000",
            "has 41 significant digits",
        ),
        ("revenue > 0", "0.1234567890123456789012345 * revenue", "can need 40 digits"),
        ("revenue * revenue * revenue > 0", "10000", "can need 46 digits"),
        (
            "registration_date > as_of - INTERVAL 99999999 YEAR",
            "10000",
            "add up to more than 500 years",
        ),
    ],
)
def test_what_crashed_at_run_time_is_refused_when_compiled(
    expr: str, formula: str, message: str
) -> None:
    assert message in refused(expr, formula)


def test_abs_of_the_smallest_64_bit_integer_runs() -> None:
    """Regression: ABS(-9223372036854775808) overflowed a BIGINT in DuckDB."""
    cp = compile_yaml(policy_yaml([("c", "abs(-9223372036854775808) > employees")]))
    assert run_everywhere(cp, {"employees": 1}) == ("eligible", 1_000_000)


@pytest.mark.parametrize("formula", ["9223372036854775807", "123456789012345678.9"])
def test_an_amount_too_large_to_record_is_an_error_status(formula: str) -> None:
    """Regression: these amounts crashed the run; now the row is an 'error', everywhere."""
    cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula=formula))
    assert run_everywhere(cp, {"revenue": 1}) == ("error", None)
    capped = compile_yaml(policy_yaml([("c", "revenue > 0")], formula=formula, cap="5000000"))
    assert run_everywhere(capped, {"revenue": 1}) == ("eligible", 500_000_000)


def test_a_null_branch_keeps_the_overflow_guard_of_the_amount() -> None:
    """Regression (fuzzer): ABS(NULL) in a branch made the whole amount's bound unknown, as
    if it were a quotient, so the amount lost its 10^16 guard and the conversion to fen
    overflowed a BIGINT on the largest counts (the edge frame found it)."""
    formula = "IF(credit_dishonest, insured_employees * 1000000000000, ABS(NULL))"
    cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula=formula))
    data = {"revenue": 1, "credit_dishonest": True, "insured_employees": 5_000_000}
    assert run_everywhere(cp, data) == ("error", None)
    assert run_everywhere(cp, {**data, "insured_employees": 1}) == ("eligible", 100_000_000_000_000)


def test_an_amount_past_the_limit_from_data_is_an_error_only_for_that_row() -> None:
    cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula="1000 * revenue"))
    assert run_everywhere(cp, {"revenue": REVENUE_MAX}) == ("error", None)
    assert run_everywhere(cp, {"revenue": "1234.56"}) == ("eligible", 123456000)


@pytest.mark.parametrize(
    "expr",
    [
        "(" * 50 + "revenue > 0" + ")" * 50,
        " AND ".join(["revenue > 0"] * 500),
        "NOT " * 300 + "credit_dishonest",
        "- " * 300 + "revenue > 0",
        "CASE WHEN " * 60 + "TRUE" + " THEN TRUE END" * 60,
    ],
    ids=["50 parentheses", "500 ANDs", "300 NOTs", "300 minus signs", "60 CASEs"],
)
def test_deep_rules_are_refused_with_a_message_not_a_recursion_error(expr: str) -> None:
    message = refused(expr)
    assert "nests more than 24 levels" in message or "operators deep" in message


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("employees >", "cannot read the expression: an operator or a function is missing a value"),
        ("employees -> 1", "'->' is not part of the rule language"),
        ("read_csv('x') = 1", "function 'read_csv' is not allowed"),
        ("rand() > 1", "function 'rand' is not allowed"),
        ("read_parquet('x') = 1", "function 'read_parquet' is not allowed"),
    ],
)
def test_messages_name_what_the_author_wrote_not_sqlglot_internals(expr: str, message: str) -> None:
    assert message in refused(expr)


# ---------------------------------------------------------------- one value never stops a run


def test_the_largest_money_values_do_not_overflow_a_rate_comparison() -> None:
    """Regression: 'offshore_outsourcing_income >= 0.35 * revenue' with every money field at
    9999999999999999.99 raised OutOfRangeException (DECIMAL(18) multiplication) for the
    whole population. Such a revenue is now an import error (its range ends at 10^13
    yuan); the largest values the ranges admit run, and a snapshot that still holds a
    larger one costs only that row (tests/engine/test_row_errors.py)."""
    cp = compile_yaml(
        policy_yaml(
            [("c", "offshore_outsourcing_income >= 0.35 * revenue")],
            formula="0.02 * offshore_outsourcing_income",
            cap="2000000",
        )
    )
    data = {"offshore_outsourcing_income": REVENUE_MAX, "revenue": REVENUE_MAX}
    assert run_everywhere(cp, data) == ("eligible", 200_000_000)


def test_the_largest_counts_do_not_overflow_a_product() -> None:
    cp = compile_yaml(
        policy_yaml([("c", "employees * 1500 > 0")], formula="1500 * graduate_hires", cap="30000")
    )
    big = 5_000_000  # the ranges' largest
    assert run_everywhere(cp, {"employees": big, "graduate_hires": big}) == ("eligible", 3000000)


def test_a_capped_formula_keeps_the_decimals_of_its_cap() -> None:
    """Regression (found here): DuckDB's common type of DECIMAL(38,0) and 2500.55 is
    DECIMAL(38,0), so a wide whole-yuan amount clamped to 2500.55 paid 2501.00."""
    cp = compile_yaml(
        policy_yaml([("c", "graduate_hires > 0")], formula="1000 * graduate_hires", cap="2500.55")
    )
    assert run_everywhere(cp, {"graduate_hires": 3}) == ("eligible", 250055)


def test_a_case_mixing_wide_and_decimal_branches_keeps_the_decimals() -> None:
    cp = compile_yaml(
        policy_yaml(
            [("c", "revenue > 0")],
            formula="CASE WHEN employees > 5 THEN 2 * employees ELSE 2.55 END",
        )
    )
    assert run_everywhere(cp, {"revenue": 1, "employees": 1}) == ("eligible", 255)
    assert run_everywhere(cp, {"revenue": 1, "employees": 7}) == ("eligible", 1400)


def test_money_literal_and_decimal_mix_stays_exact() -> None:
    cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula="0.3 * rent_paid"))
    # 0.3 x 1,234.55 = 370.365 -> 370.37, half up, once.
    assert run_everywhere(cp, {"revenue": 1, "rent_paid": "1234.55"}) == ("eligible", 37037)


def test_bulk_matching_counts_error_rows_and_matches_the_others() -> None:
    """Issue 9: one row whose amount cannot be recorded is an 'error', counted with its
    reason; every other enterprise is matched."""
    import duckdb

    from huiqi.engine.duckdb.frame import build_frame
    from huiqi.engine.duckdb.matcher import match_frame
    from huiqi.engine.duckdb.profile_rows import load_profiles_into

    cp = compile_yaml(policy_yaml([("c", "revenue > 0")], formula="1000 * revenue"))
    profiles = [
        profile_from_case({"revenue": v}, data_year=2024, seq=i)
        for i, v in enumerate([REVENUE_MAX, "0.1", "0.2", "0"], start=1)
    ]
    con = duckdb.connect()
    load_profiles_into(con, profiles)
    build_frame(con, cp.requirements)
    (summary,) = match_frame(con, [cp], snapshot_id=1)
    # Revenue 0 against "revenue > 0": a threshold of 0 has no margin, not a near miss.
    assert (summary.eligible, summary.near_miss, summary.error) == (2, 0, 1)
    assert summary.amount_fen == 30_000
    assert summary.error_reasons == [f"1 row: {AMOUNT_TOO_LARGE}"]
    rows = dict(con.execute("SELECT uscc, status FROM matches").fetchall())
    assert rows[profiles[0].uscc] == "error"


def _civil_years(start: dt.date, as_of: dt.date) -> int:
    """Whole years from ``start`` to ``as_of`` by the Civil Code's reckoning, written
    independently of the compiler: the n-th anniversary is ``start``'s day in the month n
    years on, or that month's last day where it has no such day."""
    years = as_of.year - start.year
    last = calendar.monthrange(as_of.year, start.month)[1]
    anniversary = dt.date(as_of.year, start.month, min(start.day, last))
    return years if as_of >= anniversary else years - 1


@pytest.mark.parametrize(
    ("founded", "as_of", "years"),
    [
        # Regression (QA, 2026-12-02): 2 on every backend; the third anniversary of a
        # 29 February falls on 28 February of a common year (民法典 第二百零二条).
        ("2024-02-29", "2027-02-28", 3),
        ("2024-02-29", "2027-02-27", 2),
        ("2024-02-29", "2028-02-28", 3),  # a leap year has its own 29 February
        ("2024-02-29", "2028-02-29", 4),
        ("2024-02-28", "2027-02-28", 3),
        ("2024-03-01", "2027-02-28", 2),
        ("2023-02-28", "2027-02-28", 4),
    ],
)
def test_years_since_reaches_a_29_february_anniversary_on_the_months_last_day(
    founded: str, as_of: str, years: int
) -> None:
    assert _civil_years(dt.date.fromisoformat(founded), dt.date.fromisoformat(as_of)) == years
    cp = compile_yaml(
        policy_yaml(
            [("old", f"years_since(registration_date) >= {years}")],
            formula="years_since(registration_date) * 1000",
            as_of=as_of,
        )
    )
    data = {"registration_date": founded}
    assert run_everywhere(cp, data) == ("eligible", years * 100_000)
    cp = compile_yaml(
        policy_yaml([("old", f"years_since(registration_date) >= {years + 1}")], as_of=as_of)
    )
    assert run_everywhere(cp, data)[0] == "not_eligible"


@settings(max_examples=60, deadline=None)
@example(start=dt.date(2020, 2, 29), as_of=dt.date(2031, 2, 28))
@given(
    start=st.dates(dt.date(1990, 1, 1), dt.date(2026, 12, 31)),
    as_of=st.dates(dt.date(2026, 1, 1), dt.date(2033, 12, 31)),
)
def test_years_since_is_the_civil_codes_whole_years(start: dt.date, as_of: dt.date) -> None:
    years = _civil_years(start, as_of)
    cp = compile_yaml(
        policy_yaml(
            [("any", "registration_date IS NOT NULL")],
            formula="years_since(registration_date) * 1000 + 1000000",
            as_of=as_of.isoformat(),
        )
    )
    got = run_everywhere(cp, {"registration_date": start.isoformat()})
    assert got == ("eligible", (years * 1000 + 1_000_000) * 100), (start, as_of, years)
