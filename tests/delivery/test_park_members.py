"""A park operator's table lists every enterprise the latest snapshot registers in its
park, not only those the ledger has delivered to (regression, QA: 155 of a park's 249)."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matching"))
from matching_helpers import code, profile, snapshot_of

from huiqi.accounts.access import Actor, acts_for
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.delivery import directory
from huiqi.delivery.park import park_enterprises
from huiqi.profiles.directory import identities
from huiqi.profiles.service import import_files

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


def test_an_import_moving_an_enterprise_moves_its_park_operators_access_at_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (QA, session 29): an enterprise that moved to another park stayed
    reachable by its old park's operator, new data included, until the next delivery
    refreshed the ledger's directory. The import that moves it now moves the access."""
    moving, staying = code(1, "310104"), code(2, "310104")
    settings, sid = snapshot_of(
        tmp_path / "data", [profile(moving, park=PARK), profile(staying, park=PARK)]
    )
    with transaction(sessions) as s:  # the ledger has delivered to both
        directory.refresh(s, identities(settings, sid, [moving, staying]), sid)
    old_park = Actor("old-op", (RoleGrant(Role.PARK_OPERATOR, PARK),))
    new_park = Actor("new-op", (RoleGrant(Role.PARK_OPERATOR, "张江测试园"),))
    steward = Actor("steward", (RoleGrant(Role.DATA_STEWARD),))
    moved = tmp_path / "park.csv"
    moved.write_text(f"统一社会信用代码,所在园区楼宇\n{moving},张江测试园\n", encoding="utf-8")
    with transaction(sessions) as s:
        assert acts_for(s, old_park, moving) and not acts_for(s, new_park, moving)
        (report,) = import_files(settings, s, actor=steward, files=[moved], mapping="park")
    assert report.rows_accepted == 1
    with sessions() as s:
        assert not acts_for(s, old_park, moving) and acts_for(s, new_park, moving)
        assert acts_for(s, old_park, staying) and not acts_for(s, new_park, staying)
        assert [e.uscc for e in park_enterprises(s, actor=old_park, settings=settings)] == [staying]
