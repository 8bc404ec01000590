"""A policy test case's profile: yes/no values written as a registry file writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.engine.profile import profile_from_case
from huiqi.errors import PolicyError
from huiqi.profiles.yesno import FALSE_WORDS, TRUE_WORDS


@pytest.mark.parametrize(
    ("written", "read"),
    [("是", True), ("否", False), (" Yes ", True), ("N", False), (True, True), (False, False)],
)
def test_a_yes_no_field_takes_what_the_importer_takes(written: object, read: bool) -> None:
    """Regression: 'credit_dishonest: 否' was refused ("expected true or false"), though
    the importer reads 否 in a registry file."""
    prof = profile_from_case({"credit_dishonest": written}, data_year=2024)
    assert prof.static["credit_dishonest"] is read


@given(st.text(max_size=6) | st.integers() | st.none())
def test_any_other_value_is_refused_with_what_to_write(written: object) -> None:
    word = written.strip().lower() if isinstance(written, str) else None
    if written is None or word in TRUE_WORDS or word in FALSE_WORDS:
        return
    with pytest.raises(PolicyError, match="expected true or false"):
        profile_from_case({"credit_dishonest": written}, data_year=2024)


@given(
    mantissa=st.decimals(allow_nan=False, allow_infinity=False, places=4),
    exponent=st.integers(min_value=-(10**20), max_value=10**20),
    check_ranges=st.booleans(),
)
def test_money_with_any_exponent_is_read_or_refused_as_a_policy_error(
    mantissa: Decimal, exponent: int, check_ranges: bool
) -> None:
    """Regression: a test profile's money written "1E+999999999999999999" raised
    decimal.InvalidOperation from the check for fractions of a fen (quantize cannot hold
    it): saving such a draft in the console was a server error."""
    text = f"{mantissa}E{exponent:+d}"
    try:
        prof = profile_from_case({"revenue": text}, data_year=2025, check_ranges=check_ranges)
    except PolicyError as exc:
        assert "revenue" in str(exc)
    else:
        value = prof.years[2025]["revenue"]
        assert isinstance(value, Decimal) and value == Decimal(text)
        assert not check_ranges or 0 <= value <= 10**13


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("1E+999999999999999999", "outside the field's plausible range"),
        ("12.345", "at most two decimals"),
        ("1.2300", None),
        ("1e-999999999", "at most two decimals"),
    ],
)
def test_money_beyond_any_precision_is_refused_by_its_range(written: str, says: str | None) -> None:
    if says is None:
        assert profile_from_case({"revenue": written}, data_year=2025).years[2025]["revenue"]
        return
    with pytest.raises(PolicyError, match=says):
        profile_from_case({"revenue": written}, data_year=2025)


@pytest.mark.parametrize(
    ("field", "written", "says"),
    [
        ("revenue", [100], "profile field 'revenue' 2025: expected a number, got [100]"),
        ("revenue", {2025: [100]}, "profile field 'revenue' 2025: expected a number, got [100]"),
        ("registered_capital", {"a": 1}, "'registered_capital': expected a number, got {'a': 1}"),
        ("revenue", dt.date(2025, 1, 1), "expected a number, got 2025-01-01"),
        ("industry_class", ["6513"], "'industry_class': expected one value, got ['6513']"),
        ("size_class", {2025: ["small"]}, "'size_class' 2025: expected one value, got ['small']"),
    ],
)
def test_a_list_or_mapping_where_one_value_belongs_is_refused(
    field: str, written: object, says: str
) -> None:
    """Regression: a test profile's 'revenue: [100]' (or a YAML date for money) raised
    decimal.InvalidOperation: a traceback in 'huiqi policy test', a 500 when the console
    saved the draft; a list for a text field was stored as the text "['6513']"."""
    with pytest.raises(PolicyError) as caught:
        profile_from_case({field: written}, data_year=2025)
    assert says in caught.value.message
    assert "{2024: 50, 2025: 48}" in caught.value.message


def test_certificates_as_the_qualifications_registry_writes_them() -> None:
    """A case may list certificates as rows of the qualifications registry
    (qualification, valid_from, valid_to): 'qualifications' was refused as "not in the
    data dictionary; did you mean 'relations'?"."""
    prof = profile_from_case(
        {
            "qualifications": [
                {"qualification": "srdi_sme", "valid_from": "2025-03-01", "valid_to": "2028-02-28"},
                {
                    "qualification": "high_tech",
                    "valid_from": dt.date(2024, 1, 1),
                    "valid_to": dt.date(2026, 12, 31),
                    "certificate_id": "GR202431000123",
                },
            ]
        },
        data_year=2025,
    )
    assert prof.qualifications == [
        ("srdi_sme", dt.date(2025, 3, 1), dt.date(2028, 2, 28)),
        ("high_tech", dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    ]
    # The same certificate written under its own name reads the same.
    named = profile_from_case({"srdi_sme": ["2025-03-01", "2028-02-28"]}, data_year=2025)
    assert named.qualifications == prof.qualifications[:1]


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (
            {"qualification": "gold_medal", "valid_from": "2025-01-01", "valid_to": "2026-01-01"},
            r"qualifications\[0\]: 'gold_medal' is not a qualification; qualifications: .*srdi_sme",
        ),
        (
            {"qualification": "srdi_sme", "valid_from": "2025-01-01"},
            r"qualifications\[0\]: missing \['valid_to'\]",
        ),
        (
            {"qualification": "srdi_sme", "valid_from": "2026-01-01", "valid_to": "2025-01-01"},
            r"qualifications\[0\]: the certificate ends \(2025-01-01\) before it starts",
        ),
        ("srdi_sme", r"qualifications\[0\]: write a mapping with qualification"),
    ],
)
def test_a_wrong_certificate_row_is_refused_with_its_place(row: object, says: str) -> None:
    with pytest.raises(PolicyError, match=says):
        profile_from_case({"qualifications": [row]}, data_year=2025)


@pytest.mark.parametrize(
    ("field", "written", "says"),
    [
        ("revenue", "2000万", "'2000万' is not a number; amounts in a policy file are plain"),
        ("revenue", "2000万", "write 20000000 for 2000万"),
        ("rd_expense", "1,000,000", "write the number without thousands separators: 1000000"),
        ("rent_paid", "3.5万元", "write 35000 for 3.5万元"),
    ],
)
def test_money_as_a_document_writes_it_is_refused_with_the_yuan_to_write(
    field: str, written: str, says: str
) -> None:
    """Regression (QA, qa7): a test profile's 'revenue: 2000万' read "'2000万' is not a
    number", with nothing to write instead."""
    with pytest.raises(PolicyError) as caught:
        profile_from_case({field: written}, data_year=2025)
    assert says in caught.value.message


def test_a_decimal_field_is_not_told_of_yuan() -> None:
    with pytest.raises(PolicyError) as caught:
        profile_from_case({"energy_consumption": "20万"}, data_year=2025)
    assert "yuan" not in caught.value.message


@pytest.mark.parametrize(
    ("case", "day"),
    [
        ({"registration_date": "2020/01/01"}, "2020-01-01"),
        ({"registration_date": "2020年1月5日"}, "2020-01-05"),
        ({"high_tech": ["2024/01/01", "2026-12-31"]}, "2024-01-01"),
    ],
)
def test_a_date_in_a_documents_form_says_the_day_to_write(case: dict, day: str) -> None:
    """Regression: 'registration_date: 2020/01/01' in a test profile was refused with
    "'2020/01/01' is not a date (YYYY-MM-DD)", where the same date in valid_from says
    "write dates as YYYY-MM-DD: 2020-01-01 for 2020/01/01"."""
    with pytest.raises(PolicyError, match=f"write dates as YYYY-MM-DD: {day} for "):
        profile_from_case(case, data_year=2024)
