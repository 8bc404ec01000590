"""The officers' inbox: what the sweep tells each desk officer and head.

A reminder (a deadline is near) goes to every desk officer of the request's department, an
escalation (a deadline has passed) to every desk head of it; an officer with scope ``*``
counts for every department, a disabled account for none. A department with no desk
officer of its own (scope ``department:<name>``) is handled by its own desk head, who then
gets the reminders too: an office whose head answers requests alone needs to hear of a near
deadline, while a head with officers of their own hears only of passed ones (they would
otherwise get every reminder twice over). A desk head of every department (``*``) oversees
the desk and is never reminded. Regression (qa9): such a department was reminded of
nothing, only escalated. Each officer gets a message
once per request, kind and deadline: the sweep writes them only when its conditional
UPDATE marked the request, and the table's unique key holds even so. An officer reads and
marks read only their own messages.

A message is *done* once its request no longer waits for that step of that department by
that date: the request was acknowledged (a reminder to acknowledge), answered, closed or
withdrawn, transferred away, or reopened with a new deadline. A done message stays in the
list, marked so, but is no longer unread: officers were reminded of requests that had long
been closed or withdrawn. It is decided when the inbox is read, so messages written before
the request ended are done too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.models import User, UserRole
from huiqi.accounts.roles import DESK_ROLES, Role
from huiqi.db.clock import utcnow
from huiqi.desk.models import DeskRequest, OfficerMessage
from huiqi.errors import NotFoundError

MAX_LIMIT = 500
RECIPIENTS = {"reminder": Role.DESK_OFFICER, "escalation": Role.DESK_HEAD}


@dataclass(frozen=True)
class OfficerMessageRow:
    id: int
    kind: str  # reminder | escalation
    request_id: int
    department: str
    task: str  # acknowledge | answer
    due: dt.date
    created_at: dt.datetime
    read_at: dt.datetime | None
    done: bool = False  # the request no longer waits for this step (see the module)


# Whether the message's request still waits for its step, of its department, by its date.
PENDING = exists().where(
    DeskRequest.id == OfficerMessage.request_id,
    DeskRequest.department == OfficerMessage.department,
    or_(
        and_(OfficerMessage.task == "acknowledge", DeskRequest.status == "open"),
        and_(
            OfficerMessage.task == "answer",
            DeskRequest.status.in_(("acknowledged", "reopened")),
            DeskRequest.answer_due == OfficerMessage.due,
        ),
    ),
)


def _row(m: OfficerMessage, pending: bool) -> OfficerMessageRow:
    return OfficerMessageRow(
        m.id,
        m.kind,
        m.request_id,
        m.department,
        m.task,
        m.due,
        m.created_at,
        m.read_at,
        done=not pending,
    )


def _has_own_officer(session: Session, scope: str) -> bool:
    """Whether an enabled desk officer is scoped to this department (``scope``)."""
    own = select(UserRole.user_id).where(
        UserRole.role == str(Role.DESK_OFFICER), UserRole.scope == scope
    )
    found = select(User.id).where(User.id.in_(own), User.disabled.is_(False)).limit(1)
    return session.scalar(found) is not None


def notify_officers(
    session: Session, req: DeskRequest, *, kind: str, task: str, due: dt.date, at: dt.datetime
) -> int:
    """Write the sweep's message about ``req`` to each officer it is for; the number written
    (none for an officer who already has it)."""
    own = f"department:{req.department}"
    meant = and_(UserRole.role == str(RECIPIENTS[kind]), UserRole.scope.in_([own, "*"]))
    if kind == "reminder" and not _has_own_officer(session, own):
        meant = or_(meant, and_(UserRole.role == str(Role.DESK_HEAD), UserRole.scope == own))
    officers = select(UserRole.user_id).where(meant)
    already = select(OfficerMessage.user_id).where(
        OfficerMessage.request_id == req.id, OfficerMessage.kind == kind, OfficerMessage.due == due
    )
    users = session.scalars(
        select(User.id)
        .where(User.id.in_(officers), User.id.not_in(already), User.disabled.is_(False))
        .order_by(User.id)
    ).all()
    for user_id in users:
        session.add(
            OfficerMessage(
                user_id=user_id,
                kind=kind,
                request_id=req.id,
                department=req.department,
                task=task,
                due=due,
                created_at=at,
            )
        )
    return len(users)


def _user_id(session: Session, actor: Actor) -> int | None:
    """The actor's account: as signed in, or by its (unique) name."""
    if actor.user_id is not None:
        return actor.user_id
    return session.scalar(select(User.id).where(User.username == actor.username))


def _mine(session: Session, actor: Actor) -> ColumnElement[bool]:
    require_role(actor, "read the officers' inbox", *DESK_ROLES)
    user_id = _user_id(session, actor)
    return false() if user_id is None else OfficerMessage.user_id == user_id


def officer_inbox(
    session: Session,
    *,
    actor: Actor,
    unread_only: bool = False,
    limit: int = 100,
    before_id: int | None = None,
) -> list[OfficerMessageRow]:
    """The actor's own messages, newest first (desk officers and heads); ``unread_only``
    keeps those unread and not done. The next page is ``before_id=`` the last id of this
    one (a keyset on the index (user, id)). Regression (QA): a ``limit`` and no cursor left
    the messages past the newest 500 out of reach."""
    mine = _mine(session, actor)
    query = select(OfficerMessage, PENDING).where(mine).order_by(OfficerMessage.id.desc())
    if before_id is not None:
        query = query.where(OfficerMessage.id < before_id)
    if unread_only:
        query = query.where(OfficerMessage.read_at.is_(None), PENDING)
    found = session.execute(query.limit(max(1, min(limit, MAX_LIMIT)))).all()
    return [_row(m, bool(pending)) for m, pending in found]


def unread_count(session: Session, *, actor: Actor) -> int:
    """How many of the actor's messages are unread and not done (0 for anyone without a
    desk role)."""
    if not actor.has(*DESK_ROLES):
        return 0
    mine = _mine(session, actor)
    query = select(func.count()).where(mine, OfficerMessage.read_at.is_(None), PENDING)
    return session.scalar(query) or 0


def mark_read(
    session: Session, *, actor: Actor, message_id: int, now: dt.datetime | None = None
) -> OfficerMessageRow:
    """Mark one of the actor's messages read (the first time is kept); another officer's
    message is not found, as one that does not exist."""
    mine = _mine(session, actor)
    found = session.execute(
        select(OfficerMessage, PENDING).where(mine, OfficerMessage.id == message_id)
    ).first()
    if found is None:
        raise NotFoundError(f"no message {message_id} in your inbox")
    message, pending = found
    if message.read_at is None:
        message.read_at = now or utcnow()
        session.flush()
    return _row(message, bool(pending))
