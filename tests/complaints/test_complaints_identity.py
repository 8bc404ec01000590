"""A complainant's phone as the complaint API takes it (``identity.is_phone``)."""

from __future__ import annotations

import pytest

from huiqi.complaints.identity import is_phone


@pytest.mark.parametrize(
    ("value", "phone"),
    [
        ("13812345678", True),
        ("138-1234-5678", True),
        ("+86 138 1234 5678", True),
        ("0086 13812345678", True),
        ("8613812345678", True),
        ("021-12345678", True),
        ("(021)12345678", True),
        ("0571-8888888", True),
        ("138001380001234567", False),  # the QA finding: 18 digits
        ("1381234567", False),  # 10 digits
        ("12812345678", False),  # no mobile starts 12
        ("12345678", False),  # a landline without its area code
        ("021-1234", False),
        ("tel 13812345678", False),
        ("+86", False),
    ],
)
def test_a_phone_is_a_mobile_or_a_landline_with_its_area_code(value: str, phone: bool) -> None:
    assert is_phone(value) is phone
