"""A park operator's table lists every enterprise the latest snapshot registers in its
park, not only those the ledger has delivered to (regression, QA: 155 of a park's 249)."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matching"))
from matching_helpers import code, profile, snapshot_of

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.delivery.park import park_enterprises

PARK = "漕河泾测试园"


def test_every_enterprise_of_the_park_in_the_snapshot_is_listed(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    members = [code(i, "310104") for i in (1, 2, 3)]
    elsewhere = code(4, "310104")
    settings, _ = snapshot_of(
        tmp_path / "data",
        [profile(c, park=PARK, name=f"企业{i}") for i, c in enumerate(members)]
        + [profile(elsewhere, park="别的园区")],
    )
    operator = Actor("park-op", (RoleGrant(Role.PARK_OPERATOR, PARK),))
    with sessions() as s:  # the ledger has delivered to none of them
        assert park_enterprises(s, actor=operator) == []
        listed = park_enterprises(s, actor=operator, settings=settings)
    assert [e.uscc for e in listed] == sorted(members)
    assert {e.park for e in listed} == {PARK} and listed[0].name is not None
