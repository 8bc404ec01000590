"""Two slips of a policy author's hand that a rule used to mean something else by.

* A number with thousands separators. ``LEAST(0.3 * revenue, 5,000,000)`` parsed as
  ``LEAST(0.3 * revenue, 5, 0, 0)``, an amount of 0.00 for everyone; ``revenue >=
  10,000,000`` was refused as "cannot read the expression: unexpected word or symbol",
  with no position and nothing to write.
* ``BETWEEN`` with its bounds the wrong way round. ``employees BETWEEN 100 AND 10``
  holds for no value; it compiled, linted without an error, and matched no one.
"""

from __future__ import annotations

import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import RuleCompileError


def _criterion_refusal(expr: str) -> RuleCompileError:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", expr)]))
    return info.value


def test_a_cap_with_thousands_separators_is_refused_not_read_as_more_arguments() -> None:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml(formula="LEAST(0.3 * revenue, 5,000,000)"))
    assert info.value.message == (
        "amount formula: '5,000,000' reads as a number with thousands separators, which rules"
        " do not take: write 5000000 (for a list of values, put a space after each comma:"
        " 5, 000, 000) (at character 22 of the expression)"
    )
    loc = info.value.location
    assert loc is not None and loc.field == "amount.formula"


@pytest.mark.parametrize(
    ("expr", "written", "plain", "at"),
    [
        ("revenue >= 10,000,000", "10,000,000", "10000000", 12),
        ("revenue >= 1,000,000.50 AND employees > 0", "1,000,000.50", "1000000.50", 12),
        ("employees IN (1,200)", "1,200", "1200", 15),
    ],
)
def test_a_grouped_number_in_a_criterion_says_what_to_write(
    expr: str, written: str, plain: str, at: int
) -> None:
    message = _criterion_refusal(expr).message
    assert f"'{written}' reads as a number with thousands separators" in message
    assert f"write {plain} " in message
    assert message.endswith(f"(at character {at} of the expression)")


@pytest.mark.parametrize(
    "expr",
    [
        "employees IN (1, 200)",
        "LEAST(revenue, 100) > 0",
        "GREATEST(1, 2) < employees",
        "name = '1,000'",
        "name IN ('6,513', '6520')",
    ],
)
def test_lists_with_spaces_and_commas_in_text_stay_allowed(expr: str) -> None:
    compile_yaml(policy_yaml([("c", expr)]))


@given(st.integers(min_value=1000, max_value=10**15))
def test_any_number_written_with_separators_is_refused_with_its_plain_digits(n: int) -> None:
    grouped = f"{n:,}"
    message = _criterion_refusal(f"revenue >= {grouped}").message
    assert f"'{grouped}' reads as a number with thousands separators" in message
    assert f"write {n} " in message


@pytest.mark.parametrize(
    ("expr", "low", "high", "at"),
    [
        ("employees BETWEEN 100 AND 10", "100", "10", 19),
        ("employees BETWEEN -1 AND -5", "-1", "-5", 20),
        ("revenue BETWEEN 0.5 AND 0.25", "0.5", "0.25", 17),
        (
            "registration_date BETWEEN DATE '2025-12-31' AND DATE '2023-01-01'",
            "DATE '2025-12-31'",
            "DATE '2023-01-01'",
            32,
        ),
    ],
)
def test_between_with_its_bounds_reversed_is_refused(
    expr: str, low: str, high: str, at: int
) -> None:
    assert _criterion_refusal(expr).message == (
        f"criterion 'c': BETWEEN {low} AND {high} holds for no value: the low bound comes"
        f" first; write BETWEEN {high} AND {low} (at character {at} of the expression)"
    )


@pytest.mark.parametrize(
    "expr",
    [
        "employees BETWEEN 10 AND 10",
        "employees BETWEEN 10 AND 100",
        "registration_date BETWEEN as_of - INTERVAL 3 YEAR AND as_of",
        "employees BETWEEN rd_staff AND 10",
    ],
)
def test_between_in_order_or_with_a_field_bound_compiles(expr: str) -> None:
    compile_yaml(policy_yaml([("c", expr)]))


@pytest.mark.parametrize(
    ("expr", "hint"),
    [
        ("registration_date > '2023-01-01'", "; write a date as DATE '2023-01-01'"),
        ("'2023-01-01' <= registration_date", "; write a date as DATE '2023-01-01'"),
        (
            "industry_class >= 6500",
            "; the field holds text (codes too): write the value in single quotes, '6500'",
        ),
        # QA (qa5): a date without quotes (a subtraction) and a threshold copied with its
        # unit, in quotes, had no hint.
        ("registration_date >= 2020-01-01", "; write a date as DATE '2020-01-01'"),
        ("2019-6-30 < registration_date", "; write a date as DATE '2019-06-30'"),
        (
            "rd_expense >= '100万'",
            "; the field holds a number: write it without quotes, in yuan for an amount: 1000000",
        ),
        (
            "'1,500' < employees",
            "; the field holds a number: write it without quotes, in yuan for an amount: 1500",
        ),
        (
            "industry_class IN ('6513', 6520)",
            "; the field holds text (codes too): write the value in single quotes, '6520'",
        ),
    ],
)
def test_a_date_in_quotes_or_a_code_as_a_number_says_what_to_write(expr: str, hint: str) -> None:
    """'registration_date > '2023-01-01'' was refused as "cannot compare date with string",
    and 'industry_class >= 6500' as "cannot compare string with integer", without the
    DATE '…' or the quotes an author needs to write."""
    assert hint + " (at character" in _criterion_refusal(expr).message


def test_a_quoted_text_that_is_no_date_gets_no_date_hint() -> None:
    message = _criterion_refusal("registration_date > 'last year'").message
    assert "cannot compare date with string" in message
    assert "DATE '" not in message


@pytest.mark.parametrize(
    ("sign", "ascii_sign"), [("≥", ">="), ("≤", "<="), ("≠", "<>"), ("×", "*"), ("÷", "/")]
)
def test_a_mathematical_sign_copied_from_the_document_names_the_ascii_one(
    sign: str, ascii_sign: str
) -> None:
    """'employees ≥ 10', copied from "职工人数≥10人", was refused with no hint, where a
    full-width '（' is named with the '(' to type."""
    message = _criterion_refusal(f"employees {sign} 10 > 0").message
    assert f"'{sign}' is not part of the rule language: write '{ascii_sign}'" in message
    assert message.endswith("(at character 11 of the expression)")


# A third slip: the AND left out between two conditions. Every such rule with a '>=' in
# it was pointed at that '>=' (the dangling-operator fallback took its '>' for an operator
# with no value), e.g. "unexpected word or symbol (at character 9 of the expression)" for
# 'revenue >= 1000000 employees > 5', and the bracketed form said "expected )".
CONDITIONS = [
    "revenue >= 1000000",
    "employees > 5",
    "size_class = 'small'",
    "rd_expense >= 0.03 * revenue",
    "(employees <= 300)",
    "holds(high_tech)",
    "NOT credit_dishonest",
    "registration_date >= DATE '2020-01-01'",
]


@pytest.mark.parametrize(
    ("expr", "word", "at"),
    [
        ("revenue >= 1000000 employees > 5", "employees", 20),
        ("(revenue >= 1000000) (employees > 5)", "(employees", 22),
        ("revenue >= 1000000 AND employees > 5 size_class = 'small'", "size_class", 38),
    ],
)
def test_a_missing_and_is_pointed_at_the_condition_it_should_join(
    expr: str, word: str, at: int
) -> None:
    assert _criterion_refusal(expr).message == (
        f"criterion 'c': '{word}' follows a complete expression; join the two with an operator"
        f" (AND, OR, =, +, ...) (at character {at} of the expression)"
    )


def test_an_unreadable_rule_is_pointed_where_reading_stopped_not_at_its_first_operator() -> None:
    assert _criterion_refusal("revenue >= 1 000 000").message == (
        "criterion 'c': cannot read the expression: unexpected word or symbol '000' (at"
        " character 14 of the expression)"
    )


@given(
    first=st.sampled_from(CONDITIONS),
    second=st.sampled_from(CONDITIONS),
    gap=st.sampled_from([" ", "  "]),
)
def test_two_conditions_without_an_operator_are_refused_at_the_second(
    first: str, second: str, gap: str
) -> None:
    """Property: two conditions side by side are refused, and the position given is where
    the second one begins (where the AND goes), never inside the first."""
    expr = f"{first}{gap}{second}"
    err = _criterion_refusal(expr)
    assert f"(at character {len(first) + len(gap) + 1} of the expression)" in err.message, (
        err.message
    )


@pytest.mark.parametrize("written", ["'high_tech'", "'高新技术企业'"])
def test_a_qualification_in_quotes_names_the_call_to_write(written: str) -> None:
    """QA (qa5): holds('高新技术企业') and holds('high_tech') were refused with the usage
    alone, which did not say that a qualification is named without quotes."""
    message = _criterion_refusal(f"holds({written})").message
    assert "; a qualification is named without quotes: holds(high_tech) (at character" in message


def test_a_text_that_names_no_qualification_keeps_the_usage() -> None:
    message = _criterion_refusal("holds('innovation')").message
    assert "usage: holds(qualification)" in message and "without quotes" not in message


@pytest.mark.parametrize(
    ("sign", "ascii_sign"),
    [("≧", ">="), ("≦", "<="), ("⩾", ">="), ("⩽", "<="), ("≮", ">="), ("≯", "<=")],
)
def test_the_other_comparison_signs_of_chinese_documents_name_the_ascii_one(
    sign: str, ascii_sign: str
) -> None:
    """'rd_expense ≧ 0.05 * revenue' (≧ and ≦ are in GB 2312 beside ≥, and ≮ 'not less
    than' / ≯ 'not more than' are how some documents print 不低于 / 不高于) was refused as
    "'≧' is not part of the rule language (see docs/policies.md §4 ...)", naming no
    operator, where '≥' says to write '>='."""
    message = _criterion_refusal(f"employees {sign} 10 > 0").message
    assert f"'{sign}' is not part of the rule language: write '{ascii_sign}'" in message
    assert message.endswith("(at character 11 of the expression)")
