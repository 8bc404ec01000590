"""The catalogue's filters as typed into a form: anything is either read or refused with
a CatalogueQueryError that says what is expected (never another exception)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal

from huiqi.catalogue.service import CatalogueQueryError
from huiqi.web.filters import parse_filter

FIELDS = ("q", "department", "level", "district", "mode", "deadline_after", "amount_min")


@given(st.fixed_dictionaries({}, optional={f: st.text(max_size=40) for f in FIELDS}))
def test_any_form_input_is_read_or_refused_clearly(values: dict[str, str]) -> None:
    try:
        parse_filter(**values)
    except CatalogueQueryError as exc:
        assert str(exc)


def test_empty_fields_are_no_filter_and_amounts_are_exact() -> None:
    chosen = parse_filter(q=" ", mode="", amount_min="50,000.10")
    assert chosen.q is None and chosen.mode is None and str(chosen.amount_min_yuan) == "50000.10"


def test_a_refused_filter_reads_in_chinese_on_the_catalogue(portal: Portal) -> None:
    """Regression: '/policies?amount_min=abc' showed "amount_min 'abc' is not an amount in
    yuan (e.g. 50000)" on the Chinese catalogue."""
    client = portal.client()
    for query, says in (
        ({"amount_min": "abc"}, "最低金额“abc”不是以元计的金额"),
        ({"deadline_after": "2026-13-01"}, "截止日期“2026-13-01”不是日期"),
        ({"amount_min": "1e400"}, "最低金额须小于"),
        ({"district": "999"}, "“999”不是上海市的区划代码"),
    ):
        page = client.get("/policies", params=query)
        assert page.status_code == 200 and says in page.text, query
        assert "is not" not in page.text and "must be" not in page.text


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    fen=st.integers(min_value=0, max_value=10**9),
    extra=st.integers(min_value=1, max_value=9999),
)
def test_a_minimum_with_fractions_of_a_fen_is_read_as_the_next_fen(
    portal: Portal, fen: int, extra: int
) -> None:
    """Regression: '/api/v1/policies?amount_min=0.001' was a 500 (fen_from_yuan refused
    fractions of a fen); a cap, in whole fen, reaches 0.001 yuan exactly when it reaches
    0.01 yuan."""
    client = portal.client()
    text = f"{Decimal(fen) / 100 + Decimal(extra) / 1_000_000:f}"
    got = client.get("/api/v1/policies", params={"amount_min": text})
    assert got.status_code == 200, got.text
    want = client.get("/api/v1/policies", params={"amount_min": f"{Decimal(fen + 1) / 100:f}"})
    assert [p["policy_id"] for p in got.json()] == [p["policy_id"] for p in want.json()]


@given(
    mantissa=st.decimals(allow_nan=False, allow_infinity=False, places=3),
    exponent=st.integers(min_value=-(10**20), max_value=10**20),
)
def test_an_amount_with_any_exponent_is_read_or_refused_clearly(
    mantissa: Decimal, exponent: int
) -> None:
    """Regression: amount_min=1E+999999999999999999 (an exponent beyond the decimal
    context's range) raised decimal.Overflow from the range check: a server error on the
    public catalogue and /api/v1/policies."""
    text = f"{mantissa}E{exponent:+d}"
    try:
        chosen = parse_filter(amount_min=text)
    except CatalogueQueryError as exc:
        assert "amount_min" in str(exc)
    else:
        assert chosen.amount_min_yuan is not None
        assert chosen.amount_min_yuan.copy_abs() <= Decimal(10) ** 15


def test_a_huge_exponent_is_a_400_naming_the_field(portal: Portal) -> None:
    client = portal.client()
    huge = "1E+999999999999999999"
    got = client.get("/api/v1/policies", params={"amount_min": huge})
    assert got.status_code == 400 and "amount_min must be" in got.json()["detail"], got.text
    page = client.get("/policies", params={"amount_min": huge})
    assert page.status_code == 200 and "最低金额须小于" in page.text


@given(yuan=st.decimals(max_value=Decimal("-0.01"), min_value=-(Decimal(10) ** 15), places=2))
def test_a_negative_minimum_is_refused_naming_amount_min(yuan: Decimal) -> None:
    """Regression: a negative amount_min was refused as "the minimum amount cannot be
    negative", which named neither the field nor the value, unlike every other refusal of
    the catalogue's filters."""
    try:
        parse_filter(amount_min=f"{yuan:f}")
    except CatalogueQueryError as exc:
        assert str(exc) == (
            f"amount_min '{yuan:f}' is negative; write an amount of 0 yuan or more"
            " (e.g. 50000), or leave it empty"
        )
    else:
        raise AssertionError(f"amount_min {yuan} was read")


def test_a_negative_minimum_is_a_400_naming_the_field_and_reads_in_chinese(
    portal: Portal,
) -> None:
    client = portal.client()
    got = client.get("/api/v1/policies", params={"amount_min": "-50,000"})
    assert got.status_code == 400, got.text
    assert got.json()["detail"].startswith("amount_min '-50000' is negative"), got.text
    page = client.get("/policies", params={"amount_min": "-5"})
    assert page.status_code == 200 and "最低金额“-5”为负数" in page.text
    assert "negative" not in page.text


def test_a_policy_past_its_valid_to_reads_as_closed_in_the_catalogue(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 2025 refund was listed a year later with only "截止 2025-12-31", like an open
    one."""
    client = portal.client()
    assert "已于" not in client.get("/policies").text  # the test policies end 2026-12-31
    monkeypatch.setenv("HUIQI_TODAY", "2027-01-01")
    page = client.get("/policies").text
    assert '<span class="closed">已于 2026-12-31 截止</span>' in page


def test_a_level_or_mode_the_catalogue_does_not_know_is_said_and_fixed_amounts_are_caps(
    portal: Portal,
) -> None:
    """Regression: mode=xxx and level=zz listed every policy without a word; and a policy
    whose formula can only give 2,000 or 5,000 yuan passed 'at least 1,000,000 yuan'."""
    from huiqi.catalogue.service import fixed_most

    client = portal.client()
    for query in ({"mode": "xxx"}, {"level": "zz"}):
        page = client.get("/policies", params=query)
        assert page.status_code == 200 and 'role="alert"' in page.text, query
        assert "xxx" in page.text or "zz" in page.text
    assert fixed_most("CASE WHEN founder_first_business THEN 5000 ELSE 2000 END") == 5000
    assert fixed_most("LEAST(rd_expense * 0.1, 300000)") == 300000
    assert fixed_most("insured_employees * 1000") is None
