"""The outbox's rows as the sender handles them: claiming a batch, recording each outcome.

:func:`huiqi.delivery.notify.send_pending` sends; this module holds its two kinds of
write, in SQLAlchemy Core (no ORM object per message):

* :func:`claim` moves up to a batch of claimable rows to ``sending`` in one short
  transaction: one SELECT (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and one UPDATE
  per thousand ids, not one per row.
* :class:`Outcomes` records each message's outcome in a transaction of its own, committed
  before the next message is sent, so a crash resends at most the message in flight. It
  holds one connection for the whole batch and executes one cached statement per outcome:
  no session, no pool check-out and no ping per message. On PostgreSQL that statement
  runs in autocommit (one round trip: the UPDATE is its own transaction, durable when it
  returns); on SQLite it runs between ``BEGIN IMMEDIATE`` and ``COMMIT`` behind the
  process's writer gate, like every other write (:mod:`huiqi.db.engine`).

The claim token is the pair (row id, ``attempts`` after the claim): an outcome is
written only ``WHERE status = 'sending' AND attempts = <token>``, so a sender whose
claim expired and was taken over cannot overwrite the newer claim's result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.busy import busy_error, busy_kind
from huiqi.db.engine import connect, transaction
from huiqi.delivery.models import UNSENT, Notification, table_of
from huiqi.delivery.statuses import NotificationStatus

_T = table_of(Notification)
_IDS_PER_UPDATE = 1000  # bound ids per statement: well under SQLite's parameter limit
_SENDING = NotificationStatus.SENDING

# One statement per outcome, compiled once (SQLAlchemy caches it by its shape).
_FENCE = and_(
    _T.c.id == bindparam("nid"), _T.c.status == _SENDING, _T.c.attempts == bindparam("token")
)
_MARK_SENT = (
    update(_T).where(_FENCE).values(status=NotificationStatus.SENT, sent_at=bindparam("at"))
)
_MARK_UNSENT = (
    update(_T)
    .where(_FENCE)
    .values(status=bindparam("new_status"), sent_at=None, last_error=bindparam("error"))
)
_GIVE_UP = (
    update(_T)
    .where(_T.c.id == bindparam("nid"))
    .values(status=NotificationStatus.FAILED, sent_at=None, last_error=bindparam("error"))
)


@dataclass(frozen=True)
class Claimed:
    """A row this sender claimed: its content and its claim token (``attempt``)."""

    id: int
    channel: str
    uscc: str
    kind: str
    subject: str
    body: str
    dedupe_key: str
    attempt: int


def claim(
    factory: sessionmaker[Session],
    channels: list[str],
    max_attempts: int,
    batch: int,
    clock: dt.datetime,
    lease: dt.timedelta,
    after_id: int = 0,
) -> tuple[list[Claimed], int, dict[str, tuple[str, ...]]]:
    """Move claimable rows with an id above ``after_id`` to 'sending' in one short
    transaction, lowest ids first.

    Returns the claimed rows; how many abandoned rows had used their last attempt (marked
    failed without sending); and the e-mail addresses of the claimed rows' enterprises.
    """
    claimable = or_(
        _T.c.status == NotificationStatus.PENDING,
        and_(_T.c.status == _SENDING, _T.c.sent_at < clock - lease),
    )
    cols = (_T.c.id, _T.c.channel, _T.c.uscc, _T.c.kind, _T.c.subject, _T.c.body)
    with transaction(factory) as session:
        rows = session.execute(
            select(*cols, _T.c.dedupe_key, _T.c.attempts, _T.c.status)
            .where(text(UNSENT), _T.c.channel.in_(channels), claimable, _T.c.id > after_id)
            .order_by(_T.c.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        exhausted = [r for r in rows if r.attempts >= max_attempts]
        if exhausted:
            session.execute(
                _GIVE_UP,
                [{"nid": r.id, "error": _why_given_up(r, max_attempts)} for r in exhausted],
            )
        live = [r for r in rows if r.attempts < max_attempts]
        ids = [r.id for r in live]
        for start in range(0, len(ids), _IDS_PER_UPDATE):
            session.execute(
                update(_T)
                .where(_T.c.id.in_(ids[start : start + _IDS_PER_UPDATE]))
                .values(status=_SENDING, attempts=_T.c.attempts + 1, sent_at=clock)
            )
        emails = _enterprise_emails(session, {r.uscc for r in live})
    claimed = [
        Claimed(r.id, r.channel, r.uscc, r.kind, r.subject, r.body, r.dedupe_key, r.attempts + 1)
        for r in live
    ]
    return claimed, len(exhausted), emails


def _why_given_up(row: Any, max_attempts: int) -> str:
    if row.status == _SENDING:
        return (
            f"gave up after {row.attempts} attempts; the last sender stopped before "
            "recording its outcome, so the message may have been delivered"
        )
    return f"gave up: {row.attempts} attempts reached the limit of {max_attempts}"


def _enterprise_emails(session: Session, usccs: set[str]) -> dict[str, tuple[str, ...]]:
    from huiqi.accounts.service import enterprise_emails

    return enterprise_emails(session, usccs)


class Outcomes:
    """Records outcomes of claimed rows, each in its own committed transaction, on one
    connection held for the batch (see the module's docstring)."""

    def __init__(self, conn: Connection, clock: dt.datetime) -> None:
        self._conn = conn
        self._clock = clock

    def sent(self, row: Claimed) -> bool:
        """Mark the row sent; False when its claim was taken over (nothing written)."""
        return self._write(_MARK_SENT, {"nid": row.id, "token": row.attempt, "at": self._clock})

    def unsent(self, row: Claimed, status: NotificationStatus, error: str) -> bool:
        """Put the row back to pending, or mark it failed, with the error; False when its
        claim was taken over."""
        params = {"nid": row.id, "token": row.attempt, "new_status": status, "error": error}
        return self._write(_MARK_UNSENT, params)

    def _write(self, stmt: Any, params: dict[str, Any]) -> bool:
        try:
            with self._conn.begin():
                result = self._conn.execute(stmt, params)
        except (DBAPIError, PoolTimeout) as exc:
            kind = busy_kind(exc)
            if kind is None:
                raise
            raise busy_error(kind, rolled_back=True) from exc
        return bool(result.rowcount)


@contextmanager
def outcomes(factory: sessionmaker[Session], clock: dt.datetime) -> Iterator[Outcomes]:
    """An :class:`Outcomes` on a connection of ``factory``'s engine, for one batch."""
    engine = factory.kw["bind"]
    assert isinstance(engine, Engine)
    conn = connect(engine)
    try:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield Outcomes(conn, clock)
    finally:
        conn.close()
