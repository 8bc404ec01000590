"""A test case's profile is checked as docs/policies.md §6 and §9 write it: money as an
integer or a quoted decimal (an unquoted YAML float is refused, not silently accepted),
and a certificate as a pair of dates (a malformed one is a failing case, not a crash)."""

from __future__ import annotations

import re

import pytest
from engine_factories import policy_yaml
from hypothesis import given
from hypothesis import strategies as st

from huiqi.engine import compile_library, run_policy_tests
from huiqi.errors import PolicyError
from huiqi.policies.loader import load_policy_text

POLICY = """\
id: xx-case-profiles-2026
version: 1
title: {zh: 示例, en: Example}
department: {zh: 示例, en: Example}
level: city
region: "310000"
source: {document: 示例政策（示例）}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: hte
    label: {zh: 高新技术企业, en: High-tech}
    expr: holds(high_tech)
amount: {formula: "0.1 * rd_expense"}
tests:
  - name: case
    profile:
      high_tech: HIGH_TECH
      rd_expense: RD
    expect: {status: eligible, amount: "100.00"}
"""


def _messages(high_tech: str, rd: str) -> list[str]:
    text = POLICY.replace("HIGH_TECH", high_tech).replace("RD", rd)
    lib = compile_library([load_policy_text(text, "p.yaml")])
    return [r.message for r in run_policy_tests(lib.compiled)]


def test_quoted_and_integer_money_pass() -> None:
    assert _messages('["2025-01-01", "2027-12-31"]', '"1000.00"') == ["ok"]
    assert _messages('["2025-01-01", "2027-12-31"]', "1000") == ["ok"]


def test_unquoted_decimal_money_is_refused() -> None:
    (message,) = _messages('["2025-01-01", "2027-12-31"]', "1000.00")
    assert "profile field 'rd_expense'" in message
    assert 'write "1000.00"' in message


def test_an_unquoted_decimal_of_a_decimal_field_is_not_called_money() -> None:
    """Regression (QA): a bare 120.5 for energy_consumption (tce, type decimal) was refused
    with "write money as an integer or a quoted decimal"; the field holds no money."""
    text = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace(
        "rd_expense: RD", "rd_expense: 1000\n      energy_consumption: 120.5"
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    (message,) = [r.message for r in run_policy_tests(lib.compiled)]
    assert "profile field 'energy_consumption'" in message
    assert 'write a number as an integer or a quoted decimal, not 120.5: write "120.5"' in message
    assert "money" not in message
    (money,) = _messages('["2025-01-01", "2027-12-31"]', "1000.00")
    assert "write money as" in money


def test_money_with_three_decimals_is_refused() -> None:
    (message,) = _messages('["2025-01-01", "2027-12-31"]', '"1000.005"')
    assert "at most two decimals" in message


def test_a_certificate_with_one_date_fails_the_case_without_crashing() -> None:
    (message,) = _messages('["2025-01-01"]', "1000")
    assert "profile field 'high_tech'" in message
    assert "pair of dates" in message


def test_lint_points_at_the_profile_value() -> None:
    from huiqi.engine.policycheck import check_text

    text = POLICY.replace("HIGH_TECH", '["2025-01-01"]').replace("RD", "1000.00")
    problems = [p for p in check_text(text, "p.yaml").problems if p.severity == "error"]
    assert [(p.line, p.column, p.field) for p in problems] == [
        (20, 18, "tests[0].profile.high_tech"),
        (21, 19, "tests[0].profile.rd_expense"),
    ]
    assert 'write "1000.00"' in problems[1].message


def test_a_wrong_status_names_the_criteria_that_failed_or_were_unknown() -> None:
    """ "expected status eligible, got not_eligible" alone did not say which criterion
    made the difference; the writer had to run explain on an enterprise that does not
    exist."""
    (failing,) = _messages('["2020-01-01", "2021-12-31"]', "1000")
    assert failing == (
        "p.yaml: case 'case': expected status eligible, got not_eligible (failing ['hte'])"
    )
    text = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace(
        "      rd_expense: RD\n", ""
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    (result,) = run_policy_tests(lib.compiled)
    assert result.message.startswith(
        "p.yaml: case 'case': expected status eligible, got needs_data (the amount formula"
        " reads a field the profile lacks; a case that means it expects {status: needs_data,"
        " unknown: []})"
    )


def test_a_case_where_only_the_amount_lacks_data_can_be_written() -> None:
    """docs/policies.md §4.3: a formula over a field the criteria do not read (a CASE over
    size_class) is unknown when it lacks that field, and the enterprise needs data. A case
    for it was refused whatever it wrote: 'needs_data' had to name unknown criteria, and
    none is unknown. 'unknown: []' now says so, and is held to it."""
    base = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace(
        "      rd_expense: RD\n", ""
    )
    text = base.replace(
        'expect: {status: eligible, amount: "100.00"}', "expect: {status: needs_data, unknown: []}"
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    assert [r.message for r in run_policy_tests(lib.compiled)] == ["ok"]
    # Held to it: a criterion that is unknown too fails the case.
    unknown_too = text.replace("expr: holds(high_tech)", "expr: employees > 0").replace(
        'high_tech: ["2025-01-01", "2027-12-31"]', "layoffs: 1"
    )
    lib = compile_library([load_policy_text(unknown_too, "p.yaml")])
    (result,) = run_policy_tests(lib.compiled)
    assert "expected unknown [], got ['hte']" in result.message
    # Leaving 'unknown' out still says what to write.
    bare = base.replace(
        'expect: {status: eligible, amount: "100.00"}', "expect: {status: needs_data}"
    )
    with pytest.raises(PolicyError, match=re.escape("'unknown: []'")):
        load_policy_text(bare, "p.yaml")


@given(
    field=st.sampled_from(["rd_expense", "insured_employees", "registration_date", "layoffs"]),
    typo=st.sampled_from(["drop_last", "swap", "double"]),
)
def test_a_misspelt_profile_field_suggests_the_field_meant(field: str, typo: str) -> None:
    """'insured_employee: 10' in a test profile read "profile field 'insured_employee' is
    not in the data dictionary", where a rule's misspelling already gets "did you mean"."""
    wrong = {
        "drop_last": field[:-1],
        "swap": field[:2] + field[3] + field[2] + field[4:],
        "double": field[:3] + field[3] + field[3:],
    }[typo]
    text = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace(
        "      rd_expense: RD\n", f"      rd_expense: 1000\n      {wrong}: 1\n"
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    (result,) = run_policy_tests(lib.compiled)
    assert f"profile field '{wrong}' is not in the data dictionary; did you mean '" in (
        result.message
    )
    assert f"did you mean '{field}'?" in result.message


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("研发费用", "rd_expense"),
        ("年末参保人数", "insured_employees"),
        ("营业收入（元）", "revenue"),
    ],
)
def test_a_profile_field_written_by_its_chinese_label_names_the_field(
    label: str, field: str
) -> None:
    """QA (qa5): a test profile written with the Chinese labels ('研发费用: 200000') read
    "is not in the data dictionary" with no field named, where a rule names it."""
    text = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace(
        "      rd_expense: RD\n", f"      rd_expense: 1000\n      {label}: 1\n"
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    (result,) = run_policy_tests(lib.compiled)
    assert (
        f"profile field '{label}' is not in the data dictionary; did you mean '{field}'?"
        in result.message
    )


def test_a_certificate_written_as_a_mapping_is_shown_as_written() -> None:
    """Regression: '{start: 2025-11-01, end: 2028-10-31}' was echoed as Python wrote it,
    "{'start': datetime.date(2025, 11, 1), ...}", which the policy author never typed."""
    (message,) = _messages("{start: 2025-11-01, end: 2028-10-31}", "1000")
    assert "not {'start': 2025-11-01, 'end': 2028-10-31};" in message
    assert "datetime" not in message


def test_a_certificate_that_ends_before_it_starts_is_refused() -> None:
    """Regression: ["2027-11-30", "2024-12-01"] (the dates swapped) was accepted as a
    certificate valid on no day, so the case failed on 'hte' with nothing said about why."""
    (message,) = _messages('["2027-11-30", "2024-12-01"]', "1000")
    assert "profile field 'high_tech'" in message
    assert "ends (2024-12-01) before it starts (2027-11-30)" in message
    assert _messages('["2025-12-31", "2025-12-31"]', "1000") == ["ok"]  # one day, as_of


def _district_messages(value: str) -> list[str]:
    text = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace(
        "      rd_expense: RD\n", f"      rd_expense: 1000\n      district_code: {value}\n"
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    return [r.message for r in run_policy_tests(lib.compiled)]


def test_a_district_written_by_name_is_refused_with_its_code() -> None:
    """Regression: district_code: "浦东新区" in a test profile raised DuckDB's
    ConversionException ("Could not convert string '浦东新区' to ENUM") out of `huiqi policy
    test`, a traceback instead of the case's line."""
    (message,) = _district_messages('"浦东新区"')
    assert message.startswith("p.yaml: case 'case': ")
    assert "profile field 'district_code': '浦东新区' is the name of code 310115" in message
    assert 'write "310115"' in message
    assert _district_messages('"310115"') == ["ok"]


@given(value=st.text(min_size=1, max_size=12))
def test_any_text_that_is_not_a_code_is_refused_with_the_codes(value: str) -> None:
    from huiqi.engine.profile import profile_from_case
    from huiqi.profiles.dictionary import load_codelist

    codes = load_codelist("districts").codes
    try:
        profile_from_case({"district_code": value}, data_year=2025, written=True)
    except PolicyError as exc:
        assert value not in codes
        assert "profile field 'district_code'" in exc.message
        # The list's codes, or (a district's name: CI drew '奉贤区') the one code to write.
        assert "310115" in exc.message or "is the name of code 3101" in exc.message
    else:
        assert value in codes


@pytest.mark.parametrize(
    ("key", "says"),
    [("2024年", "'2024年' is not a year"), ("-1", "-1 is not a year (a year offset"), ("24", "24")],
)
def test_a_yearly_value_keyed_by_something_else_than_a_year_fails_the_case(
    key: str, says: str
) -> None:
    """Regression: `rd_expense: {2024年: 5}` in a test profile crashed `huiqi policy lint`
    and `huiqi policy test` with a ValueError traceback (int('2024年')), and a key of -1
    (a rule's year offset) was silently taken as the year -1."""
    (message,) = _messages('["2025-01-01", "2027-12-31"]', f"{{{key}: 1000, 2025: 1000}}")
    assert "profile field 'rd_expense'" in message
    assert says in message
    assert "e.g. rd_expense: {2024: 50, 2025: 48}" in message


@given(
    key=st.integers(min_value=-3000, max_value=3000)
    | st.text(max_size=8)
    | st.decimals(allow_nan=False, allow_infinity=False, places=1)
    | st.booleans()
    | st.none()
)
def test_a_test_profile_year_is_a_whole_year_or_refused(key: object) -> None:
    from huiqi.engine.profile import profile_from_case

    try:
        prof = profile_from_case({"revenue": {key: 1000}}, data_year=2025, written=True)
    except PolicyError as exc:
        assert "profile field 'revenue'" in str(exc)
    else:
        (year,) = prof.years
        assert 1900 <= year <= 2100
        assert str(year) == str(key).strip()


def test_lint_points_at_a_yearly_value_not_keyed_by_a_year() -> None:
    from huiqi.engine.policycheck import check_text

    text = POLICY.replace("HIGH_TECH", '["2025-01-01", "2027-12-31"]').replace("RD", "{2024年: 5}")
    problems = [p for p in check_text(text, "p.yaml").problems if p.severity == "error"]
    assert [(p.line, p.column, p.field) for p in problems] == [
        (21, 19, "tests[0].profile.rd_expense")
    ]
    assert "'2024年' is not a year" in problems[0].message


def test_an_industry_class_with_a_leading_zero_is_the_class_written() -> None:
    """Regression: `industry_class: 0610` (coal mining) unquoted in a test profile was read
    by YAML 1.1 as the octal number 392, so the case compared '392' with '0610' and
    failed (or a 'not in 0610' case passed for the wrong reason)."""
    text = POLICY.replace("holds(high_tech)", "industry_class = '0610'")
    text = text.replace("high_tech: HIGH_TECH", "industry_class: 0610").replace("RD", "1000")
    lib = compile_library([load_policy_text(text, "p.yaml")])
    assert [r.message for r in run_policy_tests(lib.compiled)] == ["ok"]


@pytest.mark.parametrize(
    ("rd_expense", "margin", "says"),
    [
        (
            "100000",
            None,
            "('rd_intensity' misses its threshold by more than its margin of 20%: a near"
            " miss is within it)",
        ),
        (
            "100000",
            "12.5%",
            "('rd_intensity' misses its threshold by more than its margin of 12.5%: a near"
            " miss is within it)",
        ),
        (
            "290000",
            "0",
            "('rd_intensity' is never a near miss: only a numeric threshold (within its margin)"
            " or an attainable qualification is)",
        ),
    ],
)
def test_a_near_miss_case_that_is_not_eligible_says_why(
    rd_expense: str, margin: str | None, says: str
) -> None:
    """Regression: "expected status near_miss, got not_eligible" named nothing, though the
    failing criterion was the one expected: the writer was left to find that the value
    missed by more than the criterion's margin (docs/policies.md §5.1)."""
    keys = {"rd_intensity": {"margin": margin}} if margin else None
    text = policy_yaml([("rd_intensity", "rd_expense >= 0.03 * revenue")], keys=keys)
    text += (
        "tests:\n"
        "  - name: low\n"
        f"    profile: {{revenue: 10000000, rd_expense: {rd_expense}}}\n"
        "    expect: {status: near_miss, failing: [rd_intensity]}\n"
    )
    lib = compile_library([load_policy_text(text, "p.yaml")])
    results = run_policy_tests(lib.compiled)
    assert results[-1].message == (
        f"p.yaml: case 'low': expected status near_miss, got not_eligible {says}"
    )
