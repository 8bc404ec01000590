"""Reading requests: one with its history, or a queue in id order (keyset pages), each
only as far as the reader may see (:mod:`huiqi.desk.visibility`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, acts_for
from huiqi.accounts.roles import DESK_ROLES, Role
from huiqi.delivery.audit import record_event
from huiqi.desk.errors import DeskError
from huiqi.desk.models import STATUSES, DeskAttachment, DeskRating, DeskRequest, DeskStep
from huiqi.desk.rows import WITHDRAWN, AttachmentRow, RequestRow, StepRow, request_row
from huiqi.desk.visibility import handles, request_filter, require_reads
from huiqi.errors import NotFoundError

MAX_LIMIT = 1000
# The statuses a reader may ask for: the stored ones, and "withdrawn" (stored as closed).
READ_STATUSES = (*STATUSES, WITHDRAWN)
WAITING = ("open", "acknowledged", "reopened")  # what waits for the department


def load(session: Session, request_id: int, *, lock: bool = False) -> DeskRequest:
    req = session.get(DeskRequest, request_id, with_for_update=lock, populate_existing=lock)
    if req is None:
        raise NotFoundError(f"no request {request_id}")
    return req


def _latest_stars(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(DeskRating.request_id, DeskRating.stars)
        .where(DeskRating.request_id.in_(ids))
        .order_by(DeskRating.request_id, DeskRating.round)
    ).all()
    return {rid: stars for rid, stars in rows}


def _withdrawn(session: Session, ids: list[int]) -> set[int]:
    """Which of the requests the enterprise withdrew (those with a ``withdrawn`` step)."""
    if not ids:
        return set()
    return set(
        session.scalars(
            select(DeskStep.request_id).where(
                DeskStep.request_id.in_(ids), DeskStep.kind == "withdrawn"
            )
        )
    )


def read_status(session: Session, req: DeskRequest) -> str:
    """The status ``req`` reads as, in its rows and in refusals: ``withdrawn`` for a closed
    request the enterprise withdrew, else the stored one."""
    if req.status == "closed" and _withdrawn(session, [req.id]):
        return WITHDRAWN
    return req.status


def _status_is(status: str) -> ColumnElement[bool]:
    """The requests that read as ``status``: a withdrawn one is stored as closed."""
    withdrawn = exists().where(DeskStep.request_id == DeskRequest.id, DeskStep.kind == "withdrawn")
    if status == WITHDRAWN:
        return (DeskRequest.status == "closed") & withdrawn
    if status == "closed":
        return (DeskRequest.status == "closed") & ~withdrawn
    return DeskRequest.status == status


def _by_enterprise(req: DeskRequest, step: DeskStep) -> bool:
    """Whether the enterprise's side took this step (filed it online, rated it): the
    enterprise and its park read those steps' account names, and an official's (an
    officer, the scheduler, the hotline's importer) only as the department's step."""
    return step.kind in ("rated", "reopened", "closed", "withdrawn") or (
        step.kind == "filed" and req.channel == "portal"
    )


def get_request(session: Session, *, actor: Actor, request_id: int) -> RequestRow:
    """One request with its steps and files (the enterprise, its park, its department);
    who took an official's step is shown to the department's officers only."""
    req = load(session, request_id)
    require_reads(session, actor, req)
    officer = actor.has(*DESK_ROLES) and handles(actor, req.department)
    return full_row(session, req, officer=officer)


def full_row(session: Session, req: DeskRequest, *, officer: bool) -> RequestRow:
    """A request with its steps (their officials named for ``officer``), files and rating;
    the caller has checked who reads it."""
    session.flush()  # a step just taken is listed
    # Each "rated" step with its stars: the ratings of the answer in order (round 0, and 1
    # after the one reopening), as the steps were taken (the history showed the comment
    # of a rating and not its stars).
    stars = iter(
        session.scalars(
            select(DeskRating.stars)
            .where(DeskRating.request_id == req.id)
            .order_by(DeskRating.round)
        ).all()
    )
    steps = tuple(
        StepRow(
            s.kind,
            s.actor if officer or _by_enterprise(req, s) else "",
            s.text,
            s.at,
            next(stars, None) if s.kind == "rated" else None,
        )
        for s in session.scalars(
            select(DeskStep).where(DeskStep.request_id == req.id).order_by(DeskStep.id)
        )
    )
    files = tuple(
        AttachmentRow(a.id, a.filename, a.content_type, a.size, a.sha256)
        for a in session.scalars(
            select(DeskAttachment)
            .where(DeskAttachment.request_id == req.id)
            .order_by(DeskAttachment.id)
        )
    )
    latest = _latest_stars(session, [req.id]).get(req.id)
    withdrawn = any(s.kind == "withdrawn" for s in steps)
    return request_row(req, stars=latest, steps=steps, attachments=files, withdrawn=withdrawn)


def get_attachment(
    session: Session, *, actor: Actor, attachment_id: int
) -> tuple[AttachmentRow, bytes]:
    """A request's file and its content, for those who may read the request. An
    official's read of an enterprise's file is an audit event (``attachment_read``, as
    for an application's attachments, in the caller's transaction); the enterprise's and
    its park's own reads are not."""
    att = session.get(DeskAttachment, attachment_id)
    if att is None:
        raise NotFoundError(f"no request file {attachment_id}")
    req = load(session, att.request_id)
    require_reads(session, actor, req)
    row = AttachmentRow(att.id, att.filename, att.content_type, att.size, att.sha256)
    if not acts_for(session, actor, req.uscc):
        record_event(
            session,
            actor=actor,
            kind="attachment_read",
            uscc=req.uscc,
            entity=f"desk_request:{req.id}",
            data={"desk_attachment_id": row.id, "filename": row.filename, "sha256": row.sha256},
        )
    return row, att.content


def list_requests(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None = None,
    department: str | None = None,
    status: str | None = None,
    statuses: tuple[str, ...] = (),
    escalated: bool | None = None,
    overdue_on: dt.date | None = None,
    after_id: int = 0,
    limit: int = 50,
    newest_first: bool = False,
) -> list[RequestRow]:
    """The requests the actor may read, in id order after ``after_id`` (the newest
    ``limit`` of them, newest first, with ``newest_first``); ``overdue_on`` keeps those
    whose awaited step's deadline is before that day; ``statuses`` keeps those in any of
    them (``status``, in one). ``escalated=True`` without a status is the heads' queue:
    the escalated requests still waiting for the department (a request answered, closed
    or withdrawn after its escalation stayed in it for ever); with a status, those
    escalated in it."""
    for one in (status, *statuses) if status is not None else statuses:
        if one not in READ_STATUSES:
            raise DeskError(
                f"status is one of {', '.join(READ_STATUSES)}, not {one!r}", field="status"
            )
    where = request_filter(actor)
    query = select(DeskRequest)
    if where is not None:
        query = query.where(where)
    if not actor.has(Role.ENTERPRISE, Role.PARK_OPERATOR, *DESK_ROLES):
        raise AccessDenied(
            f"{actor.describe()} may not read requests; allowed: enterprises, park operators,"
            " desk officers"
        )
    if uscc:
        code = uscc.strip().upper()
        if not actor.has(*DESK_ROLES) and not acts_for(session, actor, code):
            # As every other listing answers an enterprise naming another (QA: 200 []).
            raise AccessDenied(
                f"{actor.describe()} may not read the requests of {code}; allowed: the"
                " enterprise itself, its park operator, desk officers"
            )
        query = query.where(DeskRequest.uscc == code)
    if department:
        query = query.where(DeskRequest.department == department)
    if status:
        query = query.where(_status_is(status))
    if statuses:
        query = query.where(or_(*(_status_is(one) for one in statuses)))
    if escalated and status is None and not statuses:
        query = query.where(DeskRequest.status.in_(WAITING))
    if escalated is not None:
        query = query.where(
            DeskRequest.escalated_at.is_not(None)
            if escalated
            else DeskRequest.escalated_at.is_(None)
        )
    if overdue_on is not None:
        query = query.where(
            ((DeskRequest.status == "open") & (DeskRequest.ack_due < overdue_on))
            | (
                DeskRequest.status.in_(("acknowledged", "reopened"))
                & (DeskRequest.answer_due < overdue_on)
            )
        )
    query = (
        query.where(DeskRequest.id > after_id)
        .order_by(DeskRequest.id.desc() if newest_first else DeskRequest.id)
        .limit(max(1, min(limit, MAX_LIMIT)))
    )
    found = list(session.scalars(query))
    stars = _latest_stars(session, [r.id for r in found])
    withdrawn = _withdrawn(session, [r.id for r in found if r.status == "closed"])
    return [request_row(r, stars=stars.get(r.id), withdrawn=r.id in withdrawn) for r in found]
