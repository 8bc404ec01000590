"""A top-up decided while a delivery flags the group's grant it would add to, on
PostgreSQL.

Regression (qa13): ``grant_top_up`` read the flag of the group's grant's record without a
lock. A delivery that had flagged that record (``flag_lost``: the enterprise no longer
qualifies for grp-low) but not yet committed was not waited for: the reviewer's top-up read
the old, unflagged record, granted the 4,000 difference on top of the questioned grant, and
both committed (the qa11 payment, by a race). The records holding the group's grants are now
locked and read again before the slot: the top-up waits for the delivery and is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from test_topup import lower_then_higher, record

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.review import ReviewConflict, resolve_flag


def test_a_top_up_waits_for_a_delivery_flagging_the_groups_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks: SQLite serialises writers at BEGIN IMMEDIATE")
    low, high = lower_then_higher(sessions, tmp_path)
    held, flagged = record(sessions, low), record(sessions, high)
    assert flagged.review_flag and not held.review_flag
    locked, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def deliver() -> None:  # as flag_lost does: the record locked, flagged, committed later
        try:
            with transaction(sessions) as s:
                s.execute(select(Entitlement.id).where(Entitlement.id == held.id).with_for_update())
                s.execute(
                    update(Entitlement).where(Entitlement.id == held.id).values(review_flag=True)
                )
                locked.set()
                go.wait(2)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=deliver)
    t.start()
    assert locked.wait(10)
    timer = threading.Timer(1.0, go.set)
    timer.start()
    try:
        with pytest.raises(ReviewConflict, match="decide that flag first"):
            resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    finally:
        go.set()
        t.join(10)
        timer.cancel()
    assert not errors, errors
    with sessions() as s:
        assert s.scalars(select(Grant.id).where(Grant.entitlement_id == flagged.id)).all() == []
