"""A request ends before it is answered: the enterprise withdraws it, or a desk officer of
its department (or a desk head) closes it with a reason (a duplicate, solved by phone).

Either way the request is ``closed`` (``closed_at`` set) with a history row and an audit
event: ``desk_withdrawn`` (the enterprise's user, its reason if it gave one) or
``desk_dept_closed`` (the officer and the reason, which the enterprise reads). The
history row tells the two apart: a withdrawn request's rows (:mod:`huiqi.desk.queries`)
read ``withdrawn``, not ``closed``, for the enterprise, the officers and the API. A closed
request waits for nothing, so the sweep neither reminds nor escalates it, and it takes no
rating (it has no answer to rate).

In the figures (:mod:`huiqi.desk.stats`) a withdrawn request counts as filed and neither
answered nor late: the enterprise ended it, not the department. A request the department
closed is its response, so it counts as answered, on time when closed by the answer
deadline: closing a request late cannot improve the on-time rate.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_own_enterprise
from huiqi.db.clock import utcnow
from huiqi.delivery.freetext import clean_text
from huiqi.desk.errors import DeskConflict, DeskError
from huiqi.desk.handling import step, tell
from huiqi.desk.models import DeskRequest
from huiqi.desk.queries import full_row, load, read_status
from huiqi.desk.rows import WITHDRAWN, RequestRow
from huiqi.desk.visibility import require_handles
from huiqi.desk.workdays import china_date

MAX_REASON = 2000
# What a request waits for while it can still be withdrawn or closed: an answer.
UNANSWERED = ("open", "acknowledged", "reopened")


def _refuse(session: Session, req: DeskRequest, verb: str) -> DeskConflict:
    if read_status(session, req) == WITHDRAWN:  # an officer closing it: the enterprise did
        return DeskConflict(f"request {req.id} was withdrawn by the enterprise already")
    if req.status != "answered":
        return DeskConflict(f"request {req.id} is closed already")
    if verb == "withdrawn":
        return DeskConflict(
            f"request {req.id} is answered: it can be withdrawn only before it is answered;"
            " rate the answer instead (1 or 2 stars send it back once)"
        )
    return DeskConflict(
        f"request {req.id} is answered: it can be closed only before it is answered"
    )


def withdraw(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> RequestRow:
    """The enterprise (or its park operator) withdraws its request before it is answered;
    ``reason`` is optional. Withdrawing a request withdrawn already changes nothing."""
    why = clean_text(reason, "the reason", DeskError, max_length=MAX_REASON, field="reason")
    req = load(session, request_id, lock=True)
    require_own_enterprise(session, actor, req.uscc, f"withdraw request {req.id}")
    if read_status(session, req) == WITHDRAWN:
        return full_row(session, req, officer=False)
    if req.status not in UNANSWERED:
        raise _refuse(session, req, "withdrawn")
    at = now or utcnow()
    req.status, req.closed_at = "closed", at
    step(session, req, "withdrawn", actor.username, why, at)
    tell(
        session,
        req,
        "withdrawn",
        f"您的诉求（编号 {req.id}）已撤回",
        "您已撤回该诉求，办理部门不再处理。如问题仍未解决，可重新提出诉求。",
        "withdrawn",
    )
    session.flush()
    return full_row(session, req, officer=False)


def close(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    reason: str,
    now: dt.datetime | None = None,
) -> RequestRow:
    """A desk officer of the request's department, or a desk head, closes an unanswered
    request with a reason the enterprise reads (a duplicate, resolved by phone…)."""
    req = load(session, request_id, lock=True)
    require_handles(actor, req, "close")
    why = clean_text(
        reason, "the reason", DeskError, required=True, max_length=MAX_REASON, field="reason"
    )
    if req.status not in UNANSWERED:
        raise _refuse(session, req, "closed")
    at = now or utcnow()
    req.status, req.closed_at = "closed", at
    req.acknowledged_at = req.acknowledged_at or at
    # The department's last word on the request: counted as an answer, late if it is.
    req.answered_on_time = china_date(at) <= req.answer_due
    step(session, req, "dept_closed", actor.username, why, at, {"on_time": req.answered_on_time})
    tell(
        session,
        req,
        "dept_closed",
        f"您的诉求（编号 {req.id}）已办结",
        f"{req.department}已办结您的诉求。原因：{why}\n如问题仍未解决，可重新提出诉求。",
        "dept_closed",
    )
    session.flush()
    return full_row(session, req, officer=True)
