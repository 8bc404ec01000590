"""A version correction pays what the newest version gives on the newest delivered
snapshot, never the amount of the snapshot that first judged the record (SQLite and
PostgreSQL).

Regression (qa7): version 1 granted E 8,000 yuan (8 insured); version 2 gives 1,200 a
person and E's record under it was excluded behind the grant and flagged (9,600). An
import then gave E 10 insured staff and deliveries ran on it, incremental or full; the
excluded record kept 9,600 yuan, its explanation and its snapshot, and ``correct``
granted 9,600 where version 2 gives 12,000 on the data delivered. A later delivery now
gives the set-aside record the amount, explanation and snapshot it finds (flagged while
the amount differs from the earlier grant's); an enterprise the newest data no longer
make eligible has its correction flag closed, and ``correct`` pays it nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store
from test_topup import publish
from test_version_fix import _exported

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.delivery.correction_queue import corrections
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, Event, PolicyVersion
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import ReviewConflict, resolve_flag

E = uscc(1)


def _record(sessions: sessionmaker[Session], pv: PolicyVersion) -> Entitlement:
    with sessions() as s:
        return s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id)).one()


def _v2_then_import(sessions, tmp_path: Path, staff: int, how: str):  # type: ignore[no-untyped-def]
    settings, _ = build_store(tmp_path, {E: 8})
    v1 = publish(settings, sessions, policy_yaml("p"))
    v2 = publish(settings, sessions, policy_yaml("p", version=2, per_person=1200))
    first = _record(sessions, v2)
    assert first.review_flag and first.computed_fen == 960_000
    sid = change_store(tmp_path, {E: staff})
    if how == "incremental":
        deliver_changes(settings, sessions, actor=SCHEDULER)
    else:
        deliver(settings, sessions, v2.id, actor=OFFICER)
    return v1, v2, first, sid


@pytest.mark.parametrize("how", ["incremental", "full"])
def test_a_correction_pays_the_newest_snapshots_amount(
    sessions: sessionmaker[Session], tmp_path: Path, how: str
) -> None:
    _, v2, first, sid = _v2_then_import(sessions, tmp_path, 10, how)
    fix = _record(sessions, v2)
    assert (fix.computed_fen, fix.snapshot_id, fix.last_snapshot_id) == (1_200_000, sid, sid)
    assert fix.explanation != first.explanation
    assert fix.review_flag and "12,000.00" in (fix.review_reason or "")
    with sessions() as s:
        shown = corrections(s, [(fix.id, fix.status)])[fix.id]
        assert (shown.due_fen, shown.grants_fen) == (1_200_000, 1_200_000)
        said = s.scalars(select(Event.reason).where(Event.entity == f"entitlement:{fix.id}")).all()
        assert any("12,000.00" in r and "9,600.00" in r for r in said)
    resolve_flag(sessions, fix.id, actor=OFFICER, outcome="correct", reason="新版本金额")
    assert _exported(sessions, tmp_path) == [1_200_000]


@pytest.mark.parametrize("how", ["incremental", "full"])
def test_the_same_amount_as_the_earlier_grant_closes_the_question(
    sessions: sessionmaker[Session], tmp_path: Path, how: str
) -> None:
    """Version 1 granted 12,000 (8 x 1,500), version 2 gave 9,600 (8 x 1,200): flagged.
    With 10 insured version 2 gives 12,000 too: nothing is left to correct."""
    settings, _ = build_store(tmp_path, {E: 8})
    publish(settings, sessions, policy_yaml("p", per_person=1500))  # 12,000
    v2 = publish(settings, sessions, policy_yaml("p", version=2, per_person=1200))  # 9,600
    assert _record(sessions, v2).review_flag
    change_store(tmp_path, {E: 10})  # v2: 12,000, the same as the grant
    if how == "incremental":
        deliver_changes(settings, sessions, actor=SCHEDULER)
    else:
        deliver(settings, sessions, v2.id, actor=OFFICER)
    fix = _record(sessions, v2)
    assert fix.computed_fen == 1_200_000 and not fix.review_flag
    with pytest.raises(ReviewConflict):
        resolve_flag(sessions, fix.id, actor=OFFICER, outcome="correct", reason="新版本金额")


@pytest.mark.parametrize("how", ["incremental", "full"])
def test_an_enterprise_no_longer_eligible_is_not_corrected(
    sessions: sessionmaker[Session], tmp_path: Path, how: str
) -> None:
    v1, v2, first, sid = _v2_then_import(sessions, tmp_path, 0, how)
    held, fix = _record(sessions, v1), _record(sessions, v2)
    assert held.review_flag  # the earlier grant is questioned (earlier_flags)
    assert not fix.review_flag and fix.computed_fen == first.computed_fen
    assert "flagged" not in (fix.status_reason or "")
    with sessions() as s:
        closed = s.scalars(
            select(Event.reason).where(
                Event.entity == f"entitlement:{fix.id}", Event.kind == "review_closed"
            )
        ).one()
    assert closed == f"no longer eligible on snapshot {sid} under p v2: no correction is due"
    # Kept by the officer, the earlier grant stays what it was; nothing more is paid.
    resolve_flag(sessions, held.id, actor=OFFICER, outcome="keep", reason="已核实")
    with pytest.raises(ReviewConflict):
        resolve_flag(sessions, fix.id, actor=OFFICER, outcome="correct", reason="新版本金额")
    assert _exported(sessions, tmp_path) == [800_000]


def test_eligible_again_at_the_same_amount_is_asked_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {E: 8})
    publish(settings, sessions, policy_yaml("p"))
    v2 = publish(settings, sessions, policy_yaml("p", version=2, per_person=1200))
    change_store(tmp_path, {E: 0})
    deliver_changes(settings, sessions, actor=SCHEDULER)
    lost = _record(sessions, v2)
    assert not lost.review_flag and lost.match_status == "not_eligible"
    sid = change_store(tmp_path, {E: 8})  # back to 9,600 yuan, the amount it had
    deliver_changes(settings, sessions, actor=SCHEDULER)
    again = _record(sessions, v2)
    assert again.review_flag and again.match_status == "eligible"
    assert (again.computed_fen, again.snapshot_id) == (960_000, sid)
