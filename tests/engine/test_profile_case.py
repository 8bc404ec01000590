"""A policy test case's profile: yes/no values written as a registry file writes them."""

from __future__ import annotations

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
