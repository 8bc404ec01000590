"""Withdrawing a difference granted on top of money sent (a version correction or a
就高不重复 top-up), on SQLite and PostgreSQL.

Regressions (review, session 33): withdrawing version 2's unsent difference freed the
exclusivity group's slot although version 1's grant, sent for payment, stayed live, so a
lower policy of the group granted in full on top of it; a middle correction withdrawn
under a later one left that later difference out of what the enterprise was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from test_topup import A, lower_then_higher, publish, record
from test_version_fix import INSURED, E, _base_grant, _exported, _live, _v1, _v2

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.review import ReviewConflict, resolve_flag


def _flag(factory: sessionmaker[Session], record_id: int) -> None:
    """A later data change flags the record (flag_lost / earlier_flags do this)."""
    with transaction(factory) as s:
        s.execute(update(Entitlement).where(Entitlement.id == record_id).values(review_flag=True))


def _slot(factory: sessionmaker[Session], uscc: str) -> tuple[int, int] | None:
    with factory() as s:
        slot = s.scalars(select(ExclusivitySlot).where(ExclusivitySlot.uscc == uscc)).one_or_none()
        return None if slot is None else (slot.entitlement_id, slot.amount_fen)


def _record_of(factory: sessionmaker[Session], grant_id: int) -> int:
    with factory() as s:
        return int(s.scalar(select(Grant.entitlement_id).where(Grant.id == grant_id)))


def test_a_withdrawn_correction_hands_the_slot_back_to_the_grant_it_corrects(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _v1(sessions, tmp_path, exclusivity_group="g")
    assert _exported(sessions, tmp_path) == [35_000_000]  # 350,000 yuan sent
    base_record = _record_of(sessions, _base_grant(sessions))
    _, ent = _v2(sessions, tmp_path, 400_000, exclusivity_group="g")
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    assert _slot(sessions, E) == (ent.id, 40_000_000)
    _flag(sessions, ent.id)
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="withdraw", reason="不再符合")
    # v1's 350,000 yuan, sent for payment, still holds the group.
    assert _slot(sessions, E) == (base_record, 35_000_000)
    assert _live(sessions) == [(1, 35_000_000, "in_batch", None)]
    # A lower policy of the group is outranked, not granted on top.
    settings, _ = build_store(tmp_path, {E: INSURED})
    lower = publish(settings, sessions, policy_yaml("q", formula="200000", exclusivity_group="g"))
    assert record(sessions, lower).status != "granted"
    with sessions() as s:
        assert s.scalars(select(Grant).where(Grant.policy_version_id == lower.id)).all() == []
    assert _exported(sessions, tmp_path) == []


def test_a_withdrawn_top_up_hands_the_slot_back_to_the_grant_it_topped_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    low, high = lower_then_higher(sessions, tmp_path, budget=100_000)
    flagged = record(sessions, high)
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补足差额")
    assert _slot(sessions, A) == (flagged.id, 600_000)
    _flag(sessions, flagged.id)
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="withdraw", reason="不再符合")
    assert _slot(sessions, A) == (record(sessions, low).id, 200_000)
    with sessions() as s:
        assert s.get(PolicyVersion, high.id).committed_fen == 0  # type: ignore[union-attr]
    settings, _ = build_store(tmp_path, {A: 2})
    third = publish(settings, sessions, policy_yaml("q", formula="1500", exclusivity_group="g"))
    assert record(sessions, third).status != "granted"
    with sessions() as s:
        assert s.scalars(select(Grant).where(Grant.policy_version_id == third.id)).all() == []


def test_an_unsent_grant_withdrawn_alone_still_frees_the_slot(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The hand-back changes nothing where no other grant of the group is live."""
    v1 = _v1(sessions, tmp_path, exclusivity_group="g")
    ent = record(sessions, v1)
    assert _slot(sessions, E) == (ent.id, 35_000_000)
    _flag(sessions, ent.id)
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="withdraw", reason="不再符合")
    assert _slot(sessions, E) is None


def test_a_correction_under_a_live_later_one_cannot_be_withdrawn(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """v1 sent; v2's difference unsent; v3 corrects v2's. Withdrawing v2's record would
    leave v3's difference live but outside the chain the total is counted on, so a v4 would
    grant it again: refused, and withdrawing v3's first, then v2's, is allowed."""
    _v1(sessions, tmp_path)
    assert _exported(sessions, tmp_path) == [35_000_000]
    _, ent2 = _v2(sessions, tmp_path, 400_000)
    resolve_flag(sessions, ent2.id, actor=OFFICER, outcome="correct", reason="第二版")
    _, ent3 = _v2(sessions, tmp_path, 450_000, version=3)
    resolve_flag(sessions, ent3.id, actor=OFFICER, outcome="correct", reason="第三版")
    assert [a for _, a, _, _ in _live(sessions)] == [35_000_000, 5_000_000, 5_000_000]
    _flag(sessions, ent2.id)
    with pytest.raises(ReviewConflict, match="withdraw the later correction first"):
        resolve_flag(sessions, ent2.id, actor=OFFICER, outcome="withdraw", reason="不再符合")
    assert [a for _, a, _, _ in _live(sessions)] == [35_000_000, 5_000_000, 5_000_000]
    with sessions() as s:
        still = s.get(Entitlement, ent2.id)
        assert still is not None and still.review_flag and still.status == "granted"
    # v4 gives 500,000: only 50,000 more, however the chain is read.
    _flag(sessions, ent3.id)
    resolve_flag(sessions, ent3.id, actor=OFFICER, outcome="withdraw", reason="第三版撤回")
    resolve_flag(sessions, ent2.id, actor=OFFICER, outcome="withdraw", reason="第二版撤回")
    assert _live(sessions) == [(1, 35_000_000, "in_batch", None)]
    _, ent4 = _v2(sessions, tmp_path, 500_000, version=4)
    resolve_flag(sessions, ent4.id, actor=OFFICER, outcome="correct", reason="第四版")
    assert sum(a for _, a, _, _ in _live(sessions)) == 50_000_000
    assert _exported(sessions, tmp_path) == [15_000_000]
