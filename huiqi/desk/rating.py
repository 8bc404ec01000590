"""The enterprise rates an answer 1–5; an unsatisfied rating (1 or 2 stars) reopens the
request once, with a new time to answer counted from that day. A second unsatisfied
rating, or any satisfied one, closes it. One rating per answer: the database's unique
constraint on (request, round) refuses a second, whatever the caller does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_own_enterprise
from huiqi.db.clock import utcnow
from huiqi.delivery.audit import savepoint
from huiqi.delivery.freetext import clean_text
from huiqi.desk.categories import get_category
from huiqi.desk.errors import DeskConflict, DeskError
from huiqi.desk.handling import step, tell
from huiqi.desk.models import DeskRating
from huiqi.desk.queries import full_row, load, read_status
from huiqi.desk.rows import WITHDRAWN, RequestRow
from huiqi.desk.workdays import add_working_days, china_date

UNSATISFIED = 2  # this many stars or fewer reopen the request (once)


def check_stars(stars: object) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DeskError(
            f"a rating is a whole number of stars from 1 to 5, not {stars!r}", field="stars"
        )
    return stars


def rate(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    stars: int,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> RequestRow:
    """Rate the answer; reopen the request once when ``stars`` ≤ 2, else close it."""
    n = check_stars(stars)
    note = clean_text(comment, "the comment", DeskError, max_length=2000, field="comment")
    req = load(session, request_id, lock=True)
    require_own_enterprise(session, actor, req.uscc, f"rate the answer to request {req.id}")
    if req.status == "closed" and req.answered_at is None:
        how = (
            "was withdrawn"
            if read_status(session, req) == WITHDRAWN
            else "was closed by its department with a reason"
        )
        raise DeskConflict(
            f"request {req.id} {how}: there is no answer to rate; file a new request if the"
            " problem remains"
        )
    if req.status == "closed":
        raise DeskConflict(
            f"request {req.id} is closed: its answer is rated already, and a closed request"
            " takes no more ratings; file a new request if the problem remains"
        )
    if req.status != "answered":
        raise DeskConflict(f"request {req.id} is {req.status}: rate it once it is answered")
    at = now or utcnow()
    try:
        with savepoint(session):
            session.add(
                DeskRating(
                    request_id=req.id,
                    round=req.reopened,
                    stars=n,
                    comment=note,
                    rated_by=actor.username,
                    at=at,
                )
            )
            session.flush()
    except IntegrityError:
        raise DeskConflict(f"the answer to request {req.id} is rated already") from None
    step(session, req, "rated", actor.username, note, at, {"stars": n, "round": req.reopened})
    if n <= UNSATISFIED and req.reopened == 0:
        cat = get_category(session, req.category)
        req.status, req.reopened = "reopened", 1
        req.answer_due = add_working_days(china_date(at), cat.answer_days)
        req.answered_at = req.answered_on_time = None
        req.answer_reminded_at = req.escalated_at = None
        step(
            session,
            req,
            "reopened",
            actor.username,
            None,
            at,
            {"answer_due": req.answer_due.isoformat()},
        )
        tell(
            session,
            req,
            "reopened",
            f"您的诉求（编号 {req.id}）已重新办理",
            f"您对答复不满意，诉求已退回{req.department}重新办理，"
            f"将于 {req.answer_due.isoformat()} 前再次答复。",
            "reopened",
        )
    else:
        req.status, req.closed_at = "closed", at
        step(session, req, "closed", actor.username, None, at, {"stars": n})
    session.flush()
    return full_row(session, req, officer=False)
