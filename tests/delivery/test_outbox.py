"""What one message costs the sender, and what a crash in the middle of a batch leaves.

Draining must stay linear and cheap per message (1,000,000 messages at a steady rate), and
each outcome must be committed before the next message leaves, so that a sender that dies
resends at most the message in flight.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import SCHEDULER
from huiqi.db.engine import transaction
from huiqi.delivery.channels import LogChannel, Outgoing
from huiqi.delivery.models import Notification
from huiqi.delivery.notify import Message, enqueue_many, send_pending

USCC = "91310000MA1FL0000X"


def _fill(sessions: sessionmaker[Session], n: int) -> None:
    with transaction(sessions) as s:
        enqueue_many(
            s,
            [
                Message(uscc=USCC, kind="granted", subject="主题", body="正文", dedupe_key=f"k{i}")
                for i in range(n)
            ],
            channels=["log"],
        )


def _statuses(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        rows = s.execute(
            select(Notification.status, func.count())
            .where(Notification.channel == "log")
            .group_by(Notification.status)
        ).all()
    return {status: n for status, n in rows}


def test_a_batch_costs_one_update_per_message_on_one_connection(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Regression (drain at 616/s on SQLite, 209/s on PostgreSQL): each outcome opened a
    session and checked a connection out of the pool (on PostgreSQL with a ping) before
    its UPDATE. A batch now takes two connections (claim, outcomes) whatever its size,
    the claim's UPDATE is one statement, and each outcome is one statement."""
    _fill(sessions, 40)
    checkouts: list[object] = []
    updates: list[str] = []

    def on_checkout(*_: object) -> None:
        checkouts.append(object())

    def on_execute(_c: object, _cur: object, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        report = send_pending(sessions, [LogChannel()], actor=SCHEDULER, batch=100)
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "before_cursor_execute", on_execute)
    assert report.sent == 40
    assert len(checkouts) == 2
    assert len(updates) == 1 + 40
    assert _statuses(sessions) == {"sent": 40}


class _Crash(BaseException):
    """Stands for the sender's process dying (not an Exception: nothing catches it)."""


def test_a_crash_mid_batch_keeps_the_outcomes_already_recorded(
    sessions: sessionmaker[Session],
) -> None:
    """Each outcome is committed before the next message is sent: after a crash at the
    third message the first two stay sent, and only the rest of the batch (the one in
    flight and those never tried) waits for the lease."""
    _fill(sessions, 5)
    sent: list[str] = []

    class Dying:
        name = "log"

        def send(self, message: Outgoing) -> None:
            if len(sent) == 2:
                raise _Crash
            sent.append(message.dedupe_key)

    with pytest.raises(_Crash):
        send_pending(sessions, [Dying()], actor=SCHEDULER, batch=10)
    assert sent == ["k0:log", "k1:log"]
    assert _statuses(sessions) == {"sent": 2, "sending": 3}
