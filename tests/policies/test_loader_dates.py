"""A date or an amount copied from a policy document is refused with the value it stands
for worked out (QA, qa7). ``valid_from: 2027年1月1日`` read "write dates as YYYY-MM-DD,
e.g. 2026-01-01", ``valid_from: 20270101`` read pydantic's "Datetimes provided to dates
should have zero time", and ``budget: 1,000万`` read "e.g. 5000000 for 500万元"."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.date_hint import date_hint, day_meant
from huiqi.policies.loader import library_dir, load_policy_text

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


def _refusal(old: str, new: str) -> PolicyError:
    text = TEXT.replace(old, new, 1)
    assert text != TEXT, old
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    return info.value


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("2026年1月1日", "write dates as YYYY-MM-DD: 2026-01-01 for 2026年1月1日"),
        ("2026/01/01", "write dates as YYYY-MM-DD: 2026-01-01 for 2026/01/01"),
        ("2026.1.1", "write dates as YYYY-MM-DD: 2026-01-01 for 2026.1.1"),
        ("2026-1-1", "write dates as YYYY-MM-DD: 2026-01-01 for 2026-1-1"),
        ("20260101", "YAML read 20260101 as a number, not a date; write dates as YYYY-MM-DD:"),
        ("2026年2月30日", "write dates as YYYY-MM-DD, e.g. 2026-01-01"),
    ],
)
def test_a_documents_date_is_refused_with_the_day_it_stands_for(written: str, advice: str) -> None:
    refused = _refusal("valid_from: 2026-01-01", f"valid_from: {written}")
    assert advice in refused.message, refused.message
    assert refused.location is not None and refused.location.field == "valid_from"


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("1,000万", "write 10000000 for 1,000万"),
        ("1,234.5万元", "write 12345000 for 1,234.5万元"),
        ("50万元", "write 500000 for 50万元"),
    ],
)
def test_an_amount_in_wan_with_separators_is_worked_out(written: str, advice: str) -> None:
    refused = _refusal("valid_from: ", f"budget: {written}\nvalid_from: ")
    assert advice in refused.message, refused.message


@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_chinese_date_reads_as_its_day(day: dt.date) -> None:
    written = f"{day.year}年{day.month}月{day.day}日"
    assert day_meant(written) == day
    assert day_meant(day.strftime("%Y/%m/%d")) == day
    assert day_meant(int(day.strftime("%Y%m%d"))) == day
    assert date_hint(written) == f"write dates as YYYY-MM-DD: {day.isoformat()} for {written}"
