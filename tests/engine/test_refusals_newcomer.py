"""Refusals a policy officer new to huiqi met writing policies from real documents (QA,
qa7), each of which did not say what to write instead, or sent the author elsewhere:

* ``industry_class LIKE '65%'`` (软件和信息技术服务业, 大类 65): "'LIKE' is not part of the
  rule language", with no way named to select a division's classes;
* ``years_since(registration_date) < 3年``: "did you mean 'founder_age'?";
* ``revenue[2025]`` for the year 2025: "offset [2025] looks past the policy's data year";
* ``high_tech = TRUE``: "cannot compare qualification with boolean", no ``holds``;
* ``revenue_last_year``: "unknown field; see the data dictionary", no ``revenue[-1]``;
* ``contract_total(2026-01-01, …)``: "'2026 - 01 - 01' is integer, not a date", no date;
* ``recognised_in(high_tech, '2025')``: "''2025'' is string", no quoteless year (qa12);
* ``holds(high_tech, '2025-01-01')``: "''2025-01-01'' is string", no ``DATE '2025-01-01'``
  (qa5);
* a tiered amount ``CASE WHEN … THEN 500000 WHEN … THEN 300000 END`` without ``ELSE``:
  compiled, and an enterprise below the lowest tier "needed data" no data could give; lint
  now warns of it (a warning, not a refusal: where the criteria hold every eligible
  enterprise inside a tier, the formula is right as written).
"""

from __future__ import annotations

import re

import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given
from hypothesis import strategies as st

from huiqi.engine.open_amounts import open_amount_findings
from huiqi.errors import RuleCompileError


def _refusal(expr: str | None = None, formula: str | None = None) -> str:
    kwargs = {"formula": formula} if formula is not None else {}
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", expr or "revenue > 0")], **kwargs))
    return info.value.message


@pytest.mark.parametrize(
    ("expr", "advice"),
    [
        (
            "industry_class LIKE '65%'",
            "for the 4-digit classes that start with 65, write industry_class >= '6500' AND"
            " industry_class <= '6599'",
        ),
        ("industry_class LIKE '3%'", "write industry_class >= '3000' AND industry_class <= '3999'"),
        ("name LIKE '%科技%'", "a rule has no pattern matching; list the values"),
        ("name ILIKE 'a%'", "a rule has no pattern matching; list the values"),
        ("years_since(registration_date) < 3年", "a rule's numbers carry no unit: write 3 for 3年"),
        ("employees >= 50人", "write 50 for 50人"),
        ("years_since(registration_date) <= 36个月", "write 36 for 36个月"),
        (
            "revenue[2025] >= 10000000",
            "[2025] is a year, but a rule names a year by its offset from the policy's data_year:"
            " revenue for the data year, revenue[-1] for the year before it",
        ),
        ("high_tech = TRUE", "(use holds(...) to test a qualification)"),
        (
            "revenue_last_year >= 50000000",
            "unknown field 'revenue_last_year'; did you mean 'revenue[-1]'?",
        ),
        ("last_year_rd_expense > 0", "did you mean 'rd_expense[-1]'?"),
        (
            "contract_total(2026-01-01, DATE '2026-12-31', 'model') > 0",
            "is integer, not a date; write a date as DATE '2026-01-01'",
        ),
        (
            "group_total(revenue, 2025-12-31) < 500000000",
            "is not a date; write a date as DATE '2025-12-31'",
        ),
        (
            "size_class = 'small' OR 'micro'",
            "to test several values of one field write size_class IN ('small', 'micro')",
        ),
        (
            "district_code = '310115' OR '310104' OR '310112'",
            "write district_code IN ('310115', '310104', '310112')",
        ),
        (
            "credit_dishonest = 'no'",
            "a yes/no field takes TRUE or FALSE, without quotes: write FALSE",
        ),
        ("credit_dishonest = '是'", "without quotes: write TRUE"),
        ("credit_dishonest = 否", "'否' is not part of the rule language: write FALSE"),
        (
            "registration_date >= DATE '2023/01/01'",
            "'2023/01/01' is not a date; write DATE '2023-01-01'",
        ),
        ("registration_date >= DATE '2023年1月1日'", "write DATE '2023-01-01'"),
        ("AVG(revenue, revenue[-1]) > 0", "write (a + b) / 2 for the mean of two years"),
        ("SUM(rd_expense) > 0", "write a + b for a total over years"),
        (
            "recognised_in(high_tech, '2025')",
            "a year is written without quotes: recognised_in(high_tech, 2025)",
        ),
        ("recognised_in(tech_sme, '2024年')", "without quotes: recognised_in(tech_sme, 2024)"),
        ("holds(high_tech, '2025-01-01')", "is string; write a date as DATE '2025-01-01'"),
        ("holds(high_tech, '2025/1/1')", "is string; write a date as DATE '2025-01-01'"),
        ("holds(high_tech, 2025-01-01)", "is integer; write a date as DATE '2025-01-01'"),
        ("years_since('2020-01-01') > 3", "write a date as DATE '2020-01-01'"),
        (
            "has_tag(tags, 人工智能)",
            "'人工智能' is not part of the rule language: a tag is written in quotes:"
            " has_tag(tags, '人工智能')",
        ),
    ],
)
def test_a_newcomers_slip_is_told_what_to_write(expr: str, advice: str) -> None:
    """Each was refused with nothing to write instead, or with the wrong thing (QA, qa7)."""
    assert advice in _refusal(expr)


def test_a_quoted_date_in_holds_is_refused_where_it_was_written() -> None:
    """holds(high_tech, '2025-01-01') said "''2025-01-01'' is string" and no more (QA, qa5):
    the refusal names the file, line and column, and the date to write."""
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", "holds(high_tech, '2025-01-01')")]))
    assert re.search(r"test\.yaml, line \d+, column \d+", str(info.value))
    assert "write a date as DATE '2025-01-01'" in str(info.value)


def test_an_offset_past_the_data_year_that_is_no_year_keeps_its_message() -> None:
    assert "offset [1] looks past the policy's data year" in _refusal("revenue[1] > 0")


def _open_amount_warnings(formula: str, expr: str = "revenue > 0") -> list[str]:
    cp = compile_yaml(policy_yaml([("c", expr)], formula=formula))
    return [f.message for f in open_amount_findings([(cp, {})])]


@pytest.mark.parametrize(
    "formula",
    [
        "CASE WHEN revenue >= 100000000 THEN 500000 WHEN revenue >= 50000000 THEN 300000 END",
        "LEAST(CASE WHEN revenue > 5 THEN 3 END, 5)",
    ],
)
def test_an_amount_case_without_else_compiles_and_lint_warns(formula: str) -> None:
    """qa7 refused it; a document's tiers over a criterion that holds every eligible
    enterprise inside one are right as written, so it loads, and lint says the fix."""
    (message,) = _open_amount_warnings(formula)
    assert "a CASE in an amount formula has no ELSE" in message
    assert "write ELSE 0 when it receives nothing" in message


def test_tiers_the_criteria_cover_still_publish_as_written() -> None:
    """A policy written elsewhere with tiers and no ELSE loads and evaluates: an enterprise
    in a tier gets its amount."""
    formula = "CASE WHEN revenue >= 100000000 THEN 500000 WHEN revenue >= 50000000 THEN 300000 END"
    cp = compile_yaml(policy_yaml([("c", "revenue >= 50000000")], formula=formula))
    assert cp.policy.amount.formula == formula


def test_an_amount_if_without_else_compiles_and_lint_warns() -> None:
    (message,) = _open_amount_warnings("IF(revenue > 5, 300000)")
    assert "IF(condition, amount, 0)" in message


def test_a_closed_amount_gets_no_warning() -> None:
    assert _open_amount_warnings("CASE WHEN revenue > 5 THEN 3 ELSE 0 END") == []
    assert _open_amount_warnings("1000", expr="CASE WHEN employees > 5 THEN revenue > 0 END") == []


@pytest.mark.parametrize(
    ("expr", "formula"),
    [
        ("CASE WHEN employees > 5 THEN revenue > 0 END", "1000"),
        ("revenue > 0", "CASE WHEN revenue >= 100000000 THEN 500000 ELSE 300000 END"),
        ("revenue > 0", "IF(revenue > 5, 300000, 0)"),
    ],
)
def test_a_case_with_else_or_in_a_criterion_still_compiles(expr: str, formula: str) -> None:
    compile_yaml(policy_yaml([("c", expr)], formula=formula))


@given(prefix=st.text(alphabet="0123456789", min_size=1, max_size=3))
def test_the_range_advised_for_a_prefix_holds_exactly_its_classes(prefix: str) -> None:
    """The range the LIKE refusal writes selects the 4-digit classes that start with the
    prefix, and no other, compared as the rule compares text; and it compiles."""
    message = _refusal(f"industry_class LIKE '{prefix}%'")
    found = re.search(
        r"write (industry_class >= '(\d{4})' AND industry_class <= '(\d{4})')", message
    )
    assert found is not None, message
    low, high = found.group(2), found.group(3)
    for number in range(0, 10000, 7):
        code = f"{number:04d}"
        assert (low <= code <= high) == code.startswith(prefix)
    compile_yaml(policy_yaml([("c", found.group(1))]))


@pytest.mark.parametrize(
    ("expr", "message", "at"),
    [
        (
            "revenue >= 10000000 AND",
            "cannot read the expression: an operator or a function is missing a value",
            21,
        ),
        ("(revenue >= 1 OR) AND employees > 0", "is missing a value", 15),
        ("revenue[-1 year] > 0", "a year offset is one integer, as in revenue[-1]", 8),
    ],
)
def test_a_dangling_word_or_a_worded_offset_is_refused_at_its_place(
    expr: str, message: str, at: int
) -> None:
    """Regression (QA, qa7): a condition left unfinished ('… AND') was refused with no
    place, and 'revenue[-1 year]' with sqlglot's "Expected ]" and no place."""
    refused = _refusal(expr)
    assert message in refused
    assert refused.endswith(f"(at character {at} of the expression)"), refused


def test_lint_says_it_at_the_amount_formulas_line() -> None:
    """By the path a user takes (``huiqi policy lint``'s checks on a file's text): the
    warning is at the formula's line, and the policy's checks still pass."""
    from huiqi.engine.policycheck import check_text
    from huiqi.policies.loader import library_dir

    text = (library_dir() / "sh-stable-jobs-refund-2025.yaml").read_text(encoding="utf-8")
    text = text.replace(" ELSE 0.6 * ui_premiums_paid END", " END")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "formula:" in t)
    report = check_text(text, "draft.yaml")
    found = [p for p in report.problems if "has no ELSE" in p.message]
    assert [(p.severity, p.line) for p in found] == [("warning", line)]
    assert not [p for p in report.problems if p.severity == "error"]
