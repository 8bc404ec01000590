"""A reviewer's *correct* on version 2's record and another's *withdraw* on version 1's
flagged record, decided at once, on PostgreSQL.

Regression (review, session 33): the correction locked version 1's grant, then its budget
row, then its record; the withdrawal locked the record, the budget row, then the grant.
Forced to interleave, the two deadlocked and one failed with a database error. Both now
take records, then grants, then the slot, the cap group and the budget row last: the
second waits for the first and is refused cleanly (409), or both are decided in turn."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from test_version_fix import _live, _v1, _v2

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import budget, version_fix
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.review import ReviewConflict, resolve_flag


def test_correct_and_withdraw_decided_at_once_do_not_deadlock(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks: SQLite serialises writers at BEGIN IMMEDIATE")
    v1 = _v1(sessions, tmp_path, budget=1_000_000)
    _, ent2 = _v2(sessions, tmp_path, 400_000, budget=1_000_000)
    with sessions() as s:
        ent1 = s.scalars(select(Grant.entitlement_id).where(Grant.policy_version_id == v1.id)).one()
    with transaction(sessions) as s:
        s.execute(update(Entitlement).where(Entitlement.id == ent1).values(review_flag=True))
    # The withdrawal ("W") has released the budget row and waits; the correction ("C") then
    # takes its locks. Before the fix, W waited on the grant that C held while C waited on
    # the budget row (or the record) that W held.
    w_released, c_read = threading.Event(), threading.Event()
    real_release, real_chain = budget.release, version_fix._chain

    def release(*a: Any, **k: Any) -> None:
        real_release(*a, **k)
        if threading.current_thread().name == "W":
            w_released.set()
            c_read.wait(3)

    def chain(*a: Any, **k: Any) -> list[Grant]:
        got = real_chain(*a, **k)
        c_read.set()
        return got

    monkeypatch.setattr(budget, "release", release)
    monkeypatch.setattr(version_fix, "_chain", chain)
    errors: dict[str, BaseException] = {}

    def decide(name: str, record_id: int, outcome: str) -> None:
        try:
            if name == "C":
                w_released.wait(5)
            resolve_flag(sessions, record_id, actor=OFFICER, outcome=outcome, reason="并发")
        except BaseException as exc:
            errors[name] = exc

    c = threading.Thread(target=decide, args=("C", ent2.id, "correct"), name="C")
    w = threading.Thread(target=decide, args=("W", ent1, "withdraw"), name="W")
    w.start()
    c.start()
    c.join(30)
    w.join(30)
    assert w_released.is_set()
    assert "W" not in errors, errors
    # The withdrawal went first: v1's grant (never sent) is withdrawn; the correction,
    # re-reading under the lock, finds nothing left to correct and is refused with a 409.
    assert set(errors) <= {"C"}, errors
    if "C" in errors:
        assert isinstance(errors["C"], ReviewConflict), repr(errors["C"])
    assert _live(sessions) in ([], [(2, 40_000_000, "granted", None)])
