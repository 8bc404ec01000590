"""Notifications as a transactional outbox.

The code that grants, offers or rejects calls :func:`enqueue` inside its own
transaction: one ``notifications`` row per channel, keyed by
``f"{dedupe_key}:{channel}"`` and inserted with ``ON CONFLICT DO NOTHING``, so
re-running a command never duplicates a message and a rolled-back grant leaves
no message behind. The ``inbox`` row *is* the in-app message and is ``sent`` at
once (read through :mod:`huiqi.delivery.inbox`); rows of external channels wait for
:func:`send_pending`.

Row life cycle (``status``)::

    pending --claim--> sending --ok--> sent
       ^                  |--transient error, attempts < max--> pending
       |                  |--permanent error or attempts = max--> failed
       +--claim older than the lease (sender died)--+

Claiming is a short transaction that moves rows to ``sending`` and adds one to
``attempts``; the message then leaves with no transaction open, and a second
short transaction records the outcome (both in :mod:`huiqi.delivery.outbox`). PostgreSQL picks rows with ``SELECT …
FOR UPDATE SKIP LOCKED`` so concurrent senders take disjoint rows; SQLite's
single writer (``BEGIN IMMEDIATE``, see :mod:`huiqi.db.engine`) serialises the
claims. The claim token is the pair (row id, ``attempts`` after the claim): the
outcome is written only ``WHERE status = 'sending' AND attempts = <token>``, so
a sender whose claim expired and was taken over cannot overwrite the newer
claim's result. While a row is ``sending``, ``sent_at`` holds the time of the
claim (the lease start); once sent it holds the time of sending.

Honest limit: a row is sent at most once under normal operation, but if a
sender dies after the channel accepted a message and before the row was marked
sent, the row is claimed again after the lease and sent again. Email carries a
Message-ID derived from the dedupe key, so the receiver can recognise the
resend as the same message; exactly-once delivery to an external system is not
possible without its cooperation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.db.bulk import COPY_FROM, insert_tuples
from huiqi.delivery import outbox
from huiqi.delivery.channels import (
    INBOX,
    Channel,
    Outgoing,
    PermanentDeliveryError,
    channels_from_env,
)
from huiqi.delivery.models import Notification, table_of, utcnow
from huiqi.delivery.statuses import NotificationStatus

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(minutes=15)
_DEDUPE_KEY_MAX = 200
_ERROR_MAX = 2000
_CHUNK = 1000


@dataclass(frozen=True)
class SendReport:
    """What one :func:`send_pending` run did.

    ``claimed`` rows were taken; each ended ``sent``, ``retrying`` (back to
    pending), ``failed``, or ``lost`` (its claim expired and another sender took
    it over before this one recorded the outcome). ``expired`` rows were found
    abandoned after their last allowed attempt and marked failed without sending.
    ``last_id`` is the highest id claimed (0 when none): a sender that drains the outbox
    passes it as the next call's ``after_id``, so a row put back to pending waits for the
    next run instead of using up its attempts in this one.
    """

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0
    expired: int = 0
    last_id: int = 0


@dataclass(frozen=True)
class Message:
    """A notification to enqueue: what to tell which enterprise, and its dedupe key.

    The dedupe key names the fact being told (e.g. ``granted:<version>:<uscc>:<period>``)
    so that telling it again is recognised; each channel's row adds ``:<channel>``.
    """

    uscc: str
    kind: str
    subject: str
    body: str
    dedupe_key: str


def enqueue(
    session: Session,
    *,
    uscc: str,
    kind: str,
    subject: str,
    body: str,
    dedupe_key: str,
    channels: Iterable[str] | None = None,
) -> int:
    """Put a message in the outbox, in the caller's transaction; return how many rows are new.

    One row goes to the inbox (already ``sent``: it is the in-app message) and
    one to each external channel, ``channels`` or else those configured by
    :func:`channels_from_env`. Calling again with the same ``dedupe_key`` adds
    nothing, so a re-run command never notifies twice.
    """
    message = Message(uscc=uscc, kind=kind, subject=subject, body=body, dedupe_key=dedupe_key)
    return enqueue_many(session, [message], channels=channels)


def enqueue_quietly(session: Session, **fields: Any) -> None:
    """:func:`enqueue` without counting new rows: one cached statement, for hot paths (claims)."""
    channels = fields.pop("channels", None)
    enqueue_many(session, [Message(**fields)], channels=channels, count=False)


def enqueue_many(
    session: Session,
    messages: Iterable[Message],
    *,
    channels: Iterable[str] | None = None,
    count: bool = True,
    new_keys: bool = False,
) -> int:
    """:func:`enqueue` for many messages at once (bulk grants); return how many rows are new.

    With ``count=False`` the rows go in as one bulk insert (far faster for 100,000
    grants) and the return value is 0. ``new_keys=True`` promises that no row with
    these dedupe keys exists (keys of records created in the same transaction): a
    duplicate then raises IntegrityError instead of being skipped, and PostgreSQL
    copies the rows straight into the table rather than through a conflict check.
    """
    wanted = [c.name for c in channels_from_env()] if channels is None else list(channels)
    names = [INBOX, *(n for n in dict.fromkeys(wanted) if n != INBOX)]
    now = utcnow()
    listed = list(messages)
    longest_suffix = max(len(n) for n in names) + 1
    for m in listed:
        if len(m.dedupe_key) + longest_suffix > _DEDUPE_KEY_MAX:
            longest = len(m.dedupe_key) + longest_suffix
            raise ValueError(
                f"dedupe key {m.dedupe_key!r} is too long: with its channel suffix it has "
                f"{longest} characters, at most {_DEDUPE_KEY_MAX} fit; use a shorter key."
            )
    if not listed:
        return 0
    if not count:
        # One bulk insert per channel, rows as tuples: no dict per row (100,000 grants).
        skip = None if new_keys else ["dedupe_key"]
        copied = _copied_channels(session, names, len(listed), new_keys)
        after = _largest_id(session) if copied else 0
        for name in names:
            if name in copied:
                continue
            inbox = name == INBOX
            insert_tuples(
                session,
                table_of(Notification),
                ("uscc", "kind", "subject", "body", "dedupe_key"),
                [(m.uscc, m.kind, m.subject, m.body, f"{m.dedupe_key}:{name}") for m in listed],
                constants={
                    "channel": name,
                    "status": NotificationStatus.SENT if inbox else NotificationStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "sent_at": now if inbox else None,
                },
                ignore_conflicts_on=skip,
            )
        for name in copied:
            _copy_inbox_rows(session, name, after=after)
        return 0
    rows = [
        {
            "uscc": m.uscc,
            "channel": name,
            "kind": m.kind,
            "subject": m.subject,
            "body": m.body,
            "dedupe_key": f"{m.dedupe_key}:{name}",
            "status": NotificationStatus.SENT if name == INBOX else NotificationStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            "sent_at": now if name == INBOX else None,
        }
        for m in listed
        for name in names
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        make_insert: Callable[..., Any] = postgresql.insert
    elif dialect == "sqlite":
        make_insert = sqlite.insert
    else:  # pragma: no cover - huiqi supports these two backends only
        raise NotImplementedError(f"enqueue supports sqlite and postgresql, not {dialect}")
    new = 0
    # Chunks keep each statement under the backends' bound-parameter limits.
    for start in range(0, len(rows), _CHUNK):
        stmt = make_insert(Notification).values(rows[start : start + _CHUNK])
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
        new += len(session.execute(stmt.returning(Notification.id)).all())
    return new


def _copied_channels(session: Session, names: list[str], n: int, new_keys: bool) -> list[str]:
    """The external channels whose rows SQLite copies from the inbox rows just inserted
    (one ``INSERT … SELECT`` each) instead of taking them from Python: a bulk chunk's,
    whose keys are new (a duplicate raises) so that every message has its inbox row."""
    if not new_keys or n < COPY_FROM or session.get_bind().dialect.name != "sqlite":
        return []
    return [name for name in names if name != INBOX]


def _largest_id(session: Session) -> int:
    return int(session.scalar(text("SELECT coalesce(max(id), 0) FROM notifications")) or 0)


def _copy_inbox_rows(session: Session, channel: str, *, after: int) -> None:
    """Each inbox row above id ``after`` (this transaction's: SQLite has one writer) once
    more for ``channel``: pending, its dedupe key's ``inbox`` suffix made ``channel``."""
    session.execute(
        text(
            "INSERT INTO notifications (uscc, channel, kind, subject, body, dedupe_key,"
            " status, attempts, created_at, sent_at)"
            " SELECT uscc, :channel, kind, subject, body,"
            " substr(dedupe_key, 1, length(dedupe_key) - :cut) || :channel,"
            " :pending, 0, created_at, NULL FROM notifications"
            " WHERE id > :after AND channel = :inbox ORDER BY id"
        ),
        {
            "channel": channel,
            "cut": len(INBOX),
            "pending": NotificationStatus.PENDING.value,
            "after": after,
            "inbox": INBOX,
        },
    )


def send_pending(
    factory: sessionmaker[Session],
    channels: Sequence[Channel],
    *,
    actor: Actor,
    max_attempts: int = 5,
    batch: int = 100,
    now: dt.datetime | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
    after_id: int = 0,
) -> SendReport:
    """Claim up to ``batch`` pending rows of the given channels and deliver them.

    Safe to run from several threads or processes at once: each row is claimed
    by one sender. A transient failure puts the row back to pending with
    ``attempts`` and ``last_error``; at ``max_attempts`` (or on a permanent
    failure) it is ``failed``. Rows of channels not given here stay pending.
    Call again (e.g. in a loop) until ``claimed`` is 0 to drain the outbox, each time
    with ``after_id`` set to the previous report's ``last_id``: only rows with a higher
    id are claimed, so one run tries each row once and a server that is down (or a
    setting to fix) costs each message one attempt per run, not all of them at once.
    Each outcome is committed before the next message is sent
    (:mod:`huiqi.delivery.outbox`).
    """
    require_role(actor, "send notifications", Role.SCHEDULER)
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
    by_name = {c.name: c for c in channels}
    if INBOX in by_name:
        raise ValueError("'inbox' is not an external channel; inbox rows are sent on enqueue")
    if not by_name:
        return SendReport()
    clock = now or utcnow()
    rows, expired, emails = outbox.claim(
        factory, list(by_name), max_attempts, batch, clock, lease, after_id
    )
    if not rows:
        return SendReport(expired=expired)
    counts = {"sent": 0, "retrying": 0, "failed": 0, "lost": 0}
    with outbox.outcomes(factory, clock) as record:
        for row in rows:
            message = Outgoing(
                notification_id=row.id,
                channel=row.channel,
                uscc=row.uscc,
                kind=row.kind,
                subject=row.subject,
                body=row.body,
                dedupe_key=row.dedupe_key,
                attempt=row.attempt,
                emails=emails.get(row.uscc, ()),
            )
            try:
                by_name[row.channel].send(message)
            except PermanentDeliveryError as exc:
                status = NotificationStatus.FAILED
                written = record.unsent(row, status, _describe(exc))
            except Exception as exc:
                status = (
                    NotificationStatus.FAILED
                    if row.attempt >= max_attempts
                    else NotificationStatus.PENDING
                )
                written = record.unsent(row, status, _describe(exc))
                log.warning(
                    "notification %s attempt %d failed: %s", row.dedupe_key, row.attempt, exc
                )
            else:
                status = NotificationStatus.SENT
                written = record.sent(row)
            if not written:
                log.warning(
                    "notification %s: claim was taken over; outcome %s not recorded",
                    row.dedupe_key,
                    status,
                )
            counts[_BUCKETS[status] if written else "lost"] += 1
    return SendReport(claimed=len(rows), expired=expired, last_id=rows[-1].id, **counts)


_BUCKETS = {
    NotificationStatus.SENT: "sent",
    NotificationStatus.PENDING: "retrying",
    NotificationStatus.FAILED: "failed",
}


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:_ERROR_MAX]
