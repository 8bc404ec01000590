"""A version correction inside an exclusivity group (就高不重复), on SQLite and PostgreSQL.

Regression (review, qa6): p v1 (group g) paid 350,000 yuan; q of the same group, giving
500,000, was topped up by 150,000, so the group's slot held q's record at 500,000. p v2,
giving 400,000, then corrected p by the 50,000 over p v1 as though q did not exist: the
enterprise received 550,000 yuan from a group that pays only its highest, 500,000."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_topup import publish, record
from test_version_fix import INSURED, E, _exported, _v1, _v2

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import ExclusivitySlot, Grant
from huiqi.delivery.review import ReviewConflict, resolve_flag


def _given(factory: sessionmaker[Session]) -> int:
    """What the enterprise's live grants give in all (fen)."""
    with factory() as s:
        return sum(
            s.scalars(
                select(Grant.amount_fen).where(
                    Grant.uscc == E, Grant.status.not_in(("superseded", "withdrawn"))
                )
            )
        )


def _q_topped_up(factory: sessionmaker[Session], tmp_path: Path) -> None:
    """p v1 sent at 350,000; q of the group tops it up to 500,000."""
    _v1(factory, tmp_path, exclusivity_group="g")
    assert _exported(factory, tmp_path) == [35_000_000]
    settings, _ = build_store(tmp_path, {E: INSURED})
    q = publish(settings, factory, policy_yaml("q", formula="500000", exclusivity_group="g"))
    flagged = record(factory, q)
    resolve_flag(factory, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert _given(factory) == 50_000_000


def test_a_correction_below_the_groups_highest_grants_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _q_topped_up(sessions, tmp_path)
    _, ent = _v2(sessions, tmp_path, 400_000, exclusivity_group="g")
    with pytest.raises(ReviewConflict):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="新版本")
    assert _given(sessions) == 50_000_000


def test_a_correction_above_the_groups_highest_grants_the_difference_to_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _q_topped_up(sessions, tmp_path)
    _, ent = _v2(sessions, tmp_path, 600_000, exclusivity_group="g")
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="新版本")
    assert _given(sessions) == 60_000_000
    with sessions() as s:
        slot = s.scalars(select(ExclusivitySlot).where(ExclusivitySlot.uscc == E)).one()
        assert (slot.entitlement_id, slot.amount_fen) == (ent.id, 60_000_000)
