"""A department handles a request: acknowledges it, answers it, or transfers it to the
department that owns it, with a reason. Each step is a history row, an audit event
(``desk_acknowledged``, ``desk_replied``, ``desk_transferred``) and, where the enterprise
should know, a message in its inbox.

A transfer keeps the deadlines: the enterprise's clock does not restart because the
government passed its request on. The new department is reminded of them by the next
sweep as the first was, and when it receives an escalated request whose deadline has
passed, its heads are told at once (:mod:`huiqi.desk.inbox`). The request row is locked
while a step is recorded, so two officers cannot answer or move it at the same time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.db.clock import utcnow
from huiqi.delivery import notify
from huiqi.delivery.audit import record_event
from huiqi.delivery.freetext import clean_text
from huiqi.desk.errors import DeskConflict, DeskError, UnknownDepartment
from huiqi.desk.inbox import notify_officers
from huiqi.desk.models import DeskRequest, DeskStep, DeskTransfer
from huiqi.desk.queries import full_row, load, read_status
from huiqi.desk.routing import transfer_targets, unstaffed_owner
from huiqi.desk.rows import RequestRow
from huiqi.desk.visibility import require_handles
from huiqi.desk.workdays import china_date

MAX_REPLY = 4000


def step(
    session: Session,
    req: DeskRequest,
    kind: str,
    by: str,
    text: str | None,
    at: dt.datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Record one step by ``by``: its history row and its audit event ``desk_<kind>``."""
    session.add(DeskStep(request_id=req.id, kind=kind, actor=by, text=text, at=at))
    record_event(
        session,
        actor=by,
        kind=f"desk_{kind}",
        uscc=req.uscc,
        entity=f"desk_request:{req.id}",
        reason=text,
        data={"department": req.department, "status": req.status, **(data or {})},
    )


def tell(session: Session, req: DeskRequest, kind: str, subject: str, body: str, key: str) -> None:
    notify.enqueue(
        session,
        uscc=req.uscc,
        kind=f"desk_{kind}",
        subject=subject,
        body=body,
        dedupe_key=f"desk:{req.id}:{key}",
    )


def _refuse(
    session: Session, req: DeskRequest, what: str, allowed: tuple[str, ...]
) -> DeskConflict:
    status = read_status(session, req)  # "withdrawn", not "closed", when the enterprise was
    return DeskConflict(
        f"request {req.id} is {status}: it can be {what} when it is {' or '.join(allowed)}"
    )


def acknowledge(
    session: Session, *, actor: Actor, request_id: int, now: dt.datetime | None = None
) -> RequestRow:
    """The department has read the request and works on it."""
    req = load(session, request_id, lock=True)
    require_handles(actor, req, "acknowledge")
    if req.status != "open":
        raise _refuse(session, req, "acknowledged", ("open",))
    at = now or utcnow()
    req.status, req.acknowledged_at = "acknowledged", at
    step(
        session,
        req,
        "acknowledged",
        actor.username,
        None,
        at,
        {"on_time": china_date(at) <= req.ack_due},
    )
    tell(
        session,
        req,
        "acknowledged",
        f"您的诉求（编号 {req.id}）已受理",
        f"{req.department}已受理您的诉求，将于 {req.answer_due.isoformat()} 前答复。",
        "acknowledged",
    )
    session.flush()
    return full_row(session, req, officer=True)


def reply(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    text: str,
    now: dt.datetime | None = None,
) -> RequestRow:
    """Answer the request (acknowledging it too if it was not yet); the enterprise reads the
    answer in the portal and its inbox, and may rate it."""
    req = load(session, request_id, lock=True)
    require_handles(actor, req, "reply to")
    allowed = ("open", "acknowledged", "reopened")
    if req.status not in allowed:
        raise _refuse(session, req, "answered", allowed)
    body = clean_text(
        text, "the reply", DeskError, required=True, max_length=MAX_REPLY, field="text"
    )
    at = now or utcnow()
    req.acknowledged_at = req.acknowledged_at or at
    req.status, req.reply, req.answered_at = "answered", body, at
    req.answered_on_time = china_date(at) <= req.answer_due
    step(
        session,
        req,
        "replied",
        actor.username,
        body,
        at,
        {"on_time": req.answered_on_time, "round": req.reopened},
    )
    tell(
        session,
        req,
        "replied",
        f"您的诉求（编号 {req.id}）已答复",
        f"{req.department}答复：{body}\n请在门户中对答复评价（1–5 星）。",
        f"replied:{req.reopened}",
    )
    session.flush()
    return full_row(session, req, officer=True)


def transfer(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    department: str,
    reason: str,
    now: dt.datetime | None = None,
) -> RequestRow:
    """Move the request to the department that owns it, saying why (deadlines kept)."""
    req = load(session, request_id, lock=True)
    require_handles(actor, req, "transfer")
    allowed = ("open", "acknowledged", "reopened")
    if req.status not in allowed:
        raise _refuse(session, req, "transferred", allowed)
    why = clean_text(
        reason, "the reason", DeskError, required=True, max_length=MAX_REPLY, field="reason"
    )
    target = clean_text(
        department, "the department", DeskError, required=True, max_length=200, field="department"
    )
    if target == req.department:
        raise DeskConflict(f"request {req.id} is already with {target}", field="department")
    known = transfer_targets(session, req)  # with the department owning its policy
    if target not in known and target == unstaffed_owner(session, req):
        raise DeskConflict(
            f"no desk officer handles the requests of {target}, the department that owns the"
            f" policy of request {req.id}: ask an admin to give that department to a desk"
            " officer, then transfer the request",
            field="department",
        )
    if target not in known:
        raise UnknownDepartment(
            f"{target!r} is not a department of the desk; departments: {', '.join(known)}",
            field="department",
        )
    at = now or utcnow()
    before = req.department
    session.add(
        DeskTransfer(
            request_id=req.id,
            from_department=before,
            to_department=target,
            reason=why or "",
            transferred_by=actor.username,
            at=at,
        )
    )
    req.department = target or ""
    # Reminders went to the first department: the new one is reminded by the next sweep.
    req.ack_reminded_at = req.answer_reminded_at = None
    acking = req.status == "open"
    due = req.ack_due if acking else req.answer_due
    if req.escalated_at is not None and china_date(at) > due:
        task = "acknowledge" if acking else "answer"
        notify_officers(session, req, kind="escalation", task=task, due=due, at=at)
    step(session, req, "transferred", actor.username, why, at, {"from": before, "to": target})
    count = session.query(DeskTransfer).filter(DeskTransfer.request_id == req.id).count()
    tell(
        session,
        req,
        "transferred",
        f"您的诉求（编号 {req.id}）已转交{target}",
        f"您的诉求已由{before}转交{target}办理。原因：{why}",
        f"transferred:{count}",
    )
    session.flush()
    return full_row(session, req, officer=True)
