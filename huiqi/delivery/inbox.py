"""An enterprise's in-app inbox: its messages, newest first, and marking one read.

Every notification has its ``inbox`` row (:func:`huiqi.delivery.notify.enqueue` writes
it, ``sent`` at once): that row *is* the in-app message. The enterprise reads its own
inbox, and its park operator the inboxes of its park's enterprises.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_enterprise
from huiqi.accounts.roles import Role
from huiqi.delivery.channels import INBOX
from huiqi.delivery.models import INBOX_ROWS, DirectoryEntry, Notification, utcnow
from huiqi.errors import NotFoundError

INBOX_LIMIT = 100


def inbox(
    session: Session,
    uscc: str,
    *,
    actor: Actor,
    unread_only: bool = False,
    limit: int = INBOX_LIMIT,
    before_id: int | None = None,
) -> list[Notification]:
    """An enterprise's in-app messages, newest first (at most ``limit``); the next page is
    ``before_id=`` the last id of this one (a keyset on the order shown: the time, then
    the id; a message of another inbox is a NotFoundError).

    An enterprise told nothing yet has an empty inbox, whether or not huiqi knows it
    from a snapshot; a USCC that its park operator names and huiqi has never heard of
    is a NotFoundError (a mistyped code), not an empty list."""
    require_enterprise(session, actor, uscc, "read this inbox")
    # The partial index's own text (a bound 'inbox' would not let either database use it).
    stmt = select(Notification).where(Notification.uscc == uscc, text(INBOX_ROWS))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        # Regression (QA): the inbox had no cursor, so past `limit` (1000 at most over the
        # API) an integrator could not reach its older messages.
        last = session.get(Notification, before_id)
        if last is None or last.uscc != uscc:
            raise NotFoundError(f"no message {before_id} in the inbox of {uscc}")
        stmt = stmt.where(
            or_(
                Notification.created_at < last.created_at,
                and_(Notification.created_at == last.created_at, Notification.id < last.id),
            )
        )
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    rows = list(session.scalars(stmt))
    # The enterprise's own inbox: empty is an answer, not "unknown".
    known = rows or uscc in actor.scopes(Role.ENTERPRISE)
    known = known or session.get(DirectoryEntry, uscc) is not None
    if (
        not known
        # Every message has its inbox row (the USCC index holds only those).
        and session.scalar(
            select(Notification.id).where(Notification.uscc == uscc, text(INBOX_ROWS)).limit(1)
        )
        is None
    ):
        raise NotFoundError(
            f"enterprise {uscc} has received nothing from huiqi (it is not in the ledger);"
            " check the USCC"
        )
    return rows


def mark_read(session: Session, notification_id: int, uscc: str, *, actor: Actor) -> Notification:
    """Mark one inbox message of this enterprise read (idempotent: the first time is kept).

    Raises NotFoundError when the message does not exist or belongs to another
    enterprise; both look the same so that ids of others are not revealed.
    """
    require_enterprise(session, actor, uscc, "mark this inbox's messages read")
    row = session.scalars(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.uscc == uscc,
            Notification.channel == INBOX,
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(
            f"message {notification_id} is not in the inbox of enterprise {uscc}; "
            "list the inbox for the ids that can be marked read."
        )
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row
