"""Which enterprises an officer scoped to districts may be asked about by USCC."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.districts import officer_districts, require_in_districts
from huiqi.accounts.roles import Role, RoleGrant

OFFICERS = (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER, Role.POLICY_REVIEWER)
CODES = st.from_regex(r"31\d{4}", fullmatch=True)
USCC = "91310115MA0000001X"


@given(granted=st.lists(CODES, min_size=1, max_size=4), asked=st.none() | CODES)
def test_a_district_officer_is_refused_exactly_the_enterprises_outside_its_districts(
    granted: list[str], asked: str | None
) -> None:
    actor = Actor.of("o", *[RoleGrant(Role.POLICY_REVIEWER, f"district:{d}") for d in granted])
    districts = officer_districts(actor, OFFICERS)
    assert districts == sorted(set(granted))
    if asked is not None and asked in granted:
        require_in_districts(actor, USCC, asked, districts, "read this")
    else:
        with pytest.raises(AccessDenied) as refused:
            require_in_districts(actor, USCC, asked, districts, "read this")
        text = str(refused.value)
        assert f"enterprise {USCC}" in text and f"({', '.join(districts)})" in text
        assert (asked or "no district recorded") in text


@pytest.mark.parametrize(
    "grants",
    [
        [RoleGrant(Role.POLICY_REVIEWER, "*")],
        [RoleGrant(Role.POLICY_AUTHOR, "department:市经济信息化委")],
        [RoleGrant(Role.POLICY_AUTHOR, "district:310104"), RoleGrant(Role.POLICY_PUBLISHER, "*")],
        [RoleGrant(Role.FINANCE_OFFICER)],  # not a policy role: no district scope applies
    ],
    ids=["city-wide", "department", "district-and-city-wide", "no-policy-role"],
)
def test_an_officer_with_more_than_districts_is_never_refused_for_a_district(
    grants: list[RoleGrant],
) -> None:
    actor = Actor.of("o", *grants)
    districts = officer_districts(actor, OFFICERS)
    assert districts is None
    require_in_districts(actor, USCC, "310115", districts, "read this")
    require_in_districts(actor, USCC, None, districts, "read this")
