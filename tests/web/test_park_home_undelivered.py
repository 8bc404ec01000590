"""A park operator opens the home of each enterprise its park's table lists.

QA: the park's table lists every enterprise the latest snapshot puts in the park, those
the ledger has delivered nothing to included, and links each to ``/home?uscc=…``; for
those the page was a 403 ("may not read the enterprise's records": the ledger's listings
know a park only from what they delivered): 90 of the first 100 of the demo's park. Their
home is now shown, empty; another park's enterprise is still refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matching"))
from matching_helpers import code, profile, snapshot_of

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.web.portal import build_home

PARK = "漕河泾测试园"


def test_the_home_of_a_park_enterprise_not_yet_delivered_to_is_empty_not_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    member, elsewhere = code(1, "310104"), code(2, "310104")
    settings, _ = snapshot_of(
        tmp_path / "data", [profile(member, park=PARK), profile(elsewhere, park="别的园区")]
    )
    operator = Actor("park-op", (RoleGrant(Role.PARK_OPERATOR, PARK),))
    with sessions() as s:
        home = build_home(s, actor=operator, uscc=member, settings=settings)
        assert home.groups == [] and home.granted_this_year_fen == 0 and home.park is None
        with pytest.raises(AccessDenied):
            build_home(s, actor=operator, uscc=elsewhere, settings=settings)
