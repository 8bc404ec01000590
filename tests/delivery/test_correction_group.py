"""A version correction inside an exclusivity group (就高不重复), on SQLite and PostgreSQL.

Regression (review, qa6): p v1 (group g) paid 350,000 yuan; q of the same group, giving
500,000, was topped up by 150,000, so the group's slot held q's record at 500,000. p v2,
giving 400,000, then corrected p by the 50,000 over p v1 as though q did not exist: the
enterprise received 550,000 yuan from a group that pays only its highest, 500,000."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import build_store, policy_yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_topup import publish, record
from test_version_fix import INSURED, E, _exported, _v1, _v2

from huiqi.accounts.testing import OFFICER
from huiqi.delivery import topup
from huiqi.delivery.correction_queue import corrections
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.delivery.version_fix import correction_due


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


def test_a_correction_and_a_top_up_decided_at_once_pay_the_groups_highest_once(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The correction read what the group gave before it locked the group's slot: a top-up
    of q decided meanwhile was not counted, and p v2's 600,000 added 250,000 over p v1's
    350,000 on top of q's 150,000 (750,000 in all). The slot is locked first now: the
    top-up waits, then finds the group at 600,000 and is refused."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks: SQLite serialises writers at BEGIN IMMEDIATE")
    _v1(sessions, tmp_path, exclusivity_group="g")
    assert _exported(sessions, tmp_path) == [35_000_000]
    settings, _ = build_store(tmp_path, {E: INSURED})
    q = publish(settings, sessions, policy_yaml("q", formula="500000", exclusivity_group="g"))
    q_record = record(sessions, q)
    _, ent = _v2(sessions, tmp_path, 600_000, exclusivity_group="g")
    c_read, t_done = threading.Event(), threading.Event()
    real = topup.given_in_group

    def given_in_group(*a: Any, **k: Any) -> int:
        got = real(*a, **k)
        if threading.current_thread().name == "C":
            c_read.set()
            t_done.wait(3)  # the top-up decides meanwhile, unless the correction holds the slot
        return got

    monkeypatch.setattr(topup, "given_in_group", given_in_group)
    errors: dict[str, BaseException] = {}

    def decide(name: str, record_id: int, outcome: str) -> None:
        try:
            if name == "T":
                c_read.wait(5)
            resolve_flag(sessions, record_id, actor=OFFICER, outcome=outcome, reason="并发")
        except BaseException as exc:
            errors[name] = exc
        finally:
            if name == "T":
                t_done.set()

    c = threading.Thread(target=decide, args=("C", ent.id, "correct"), name="C")
    t = threading.Thread(target=decide, args=("T", q_record.id, "top-up"), name="T")
    c.start()
    t.start()
    c.join(30)
    t.join(30)
    assert "C" not in errors, errors
    assert _given(sessions) == 60_000_000, errors
    with sessions() as s:
        still = s.get(Entitlement, q_record.id)
        assert still is not None and still.status == "excluded"


def test_a_new_version_of_the_topping_up_policy_adds_only_above_the_group(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """q v1's top-up (never sent) over p's 350,000 sent; q v2 gives 600,000. The correction
    read q v1's 150,000 alone as never sent and replaced it by q v2's whole 600,000, the
    group's slot freed: 950,000 in all."""
    _q_topped_up(sessions, tmp_path)
    settings, _ = build_store(tmp_path, {E: INSURED})
    q2 = publish(
        settings, sessions, policy_yaml("q", formula="600000", version=2, exclusivity_group="g")
    )
    ent = record(sessions, q2)
    assert ent.review_flag, ent.status_reason
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="新版本")
    assert _given(sessions) == 60_000_000


def test_a_new_version_of_a_policy_that_topped_up_another_adds_only_above_the_group(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """r (200,000) sent; p v1 (350,000) topped it up by 150,000; p v2 gives 400,000. The
    correction read p v1's 150,000 alone and replaced it by p v2's whole 400,000, on top of
    r's 200,000: 600,000 in all."""
    settings, _ = build_store(tmp_path, {E: INSURED})
    publish(settings, sessions, policy_yaml("r", formula="200000", exclusivity_group="g"))
    assert _exported(sessions, tmp_path) == [20_000_000]
    p1 = publish(settings, sessions, policy_yaml("p", formula="350000", exclusivity_group="g"))
    flagged = record(sessions, p1)
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert _given(sessions) == 35_000_000
    _, ent = _v2(sessions, tmp_path, 400_000, exclusivity_group="g")
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="新版本")
    assert _given(sessions) == 40_000_000


@pytest.mark.parametrize("yuan", [400_000, 600_000])
def test_the_flagged_queue_offers_what_correct_would_do_in_a_held_group(
    sessions: sessionmaker[Session], tmp_path: Path, yuan: int
) -> None:
    """Regression (review, qa10): the queue's set-based preview ignored what another policy's
    top-up gave the group. Below the group's highest it offered p v2's 50,000 over p v1's
    350,000, which 'correct' refuses; above it, 250,000 over p v1 where 'correct' grants
    100,000 over the group's 500,000."""
    _q_topped_up(sessions, tmp_path)
    pv, ent = _v2(sessions, tmp_path, yuan, exclusivity_group="g")
    with sessions() as s:
        offered = corrections(s, [(ent.id, "excluded")]).get(ent.id)
        due = correction_due(s, s.get(Entitlement, ent.id), s.get(PolicyVersion, pv.id))  # type: ignore[arg-type]
    assert offered == due
    assert (due is None) == (yuan == 400_000)
