"""``/api/v1`` for the requests desk (诉求): an enterprise files and follows its requests
and rates the answers; a department's officers list, acknowledge, answer and transfer
them; the dashboard reads the figures. Each endpoint calls one :mod:`huiqi.desk` service
function, which checks access."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query

from huiqi.db.engine import reading, transaction
from huiqi.desk.categories import list_categories
from huiqi.desk.filing import file_request
from huiqi.desk.handling import acknowledge, reply, transfer
from huiqi.desk.inbox import mark_read, officer_inbox
from huiqi.desk.queries import get_request, list_requests
from huiqi.desk.rating import rate
from huiqi.desk.stats import desk_stats
from huiqi.web.api.desk_schemas import (
    CategoryPublic,
    DeskStatsPublic,
    OfficerMessagePublic,
    ReplyCreate,
    RequestCreate,
    RequestPublic,
    RequestRating,
    TransferCreate,
)
from huiqi.web.api.v1 import ERRORS, Limit, Page, Uscc
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, actor_of
from huiqi.web.portal import enterprise_of

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**62)]
Status = Annotated[str | None, Query(pattern=r"^(open|acknowledged|answered|reopened|closed)$")]
Department = Annotated[str | None, Query(max_length=200)]


@router.get("/request-categories", tags=["requests"])
def categories(factory: Factory) -> list[CategoryPublic]:
    """The kinds of request, their department and deadlines in working days."""
    with reading(factory) as s:
        return [CategoryPublic.model_validate(c) for c in list_categories(s)]


@router.post("/requests", tags=["requests"])
def create_request(
    factory: Factory, who: ApiWriter, body: RequestCreate, settings: AppSettings
) -> RequestPublic:
    """File a request as the enterprise (or its park operator); it is routed to a department."""
    code = enterprise_of(who.enterprise, body.uscc)
    with transaction(factory) as s:
        row = file_request(
            s,
            actor=actor_of(who),
            uscc=code,
            category=body.category,
            text=body.text,
            policy_id=body.policy_id,
            grant_id=body.grant_id,
            settings=settings,
        )
    return RequestPublic.model_validate(row)


@router.get("/requests", tags=["requests"])
def requests(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    department: Department = None,
    status: Status = None,
    escalated: bool | None = None,
    after_id: Page = 0,
    after: Page = 0,
    limit: Limit = 50,
) -> list[RequestPublic]:
    """The requests you may read (your enterprise's, or your departments'), in id order;
    the next page starts after ``after_id`` (``after`` is its earlier name)."""
    with reading(factory) as s:
        rows = list_requests(
            s,
            actor=actor_of(who),
            uscc=uscc,
            department=department,
            status=status,
            escalated=escalated,
            after_id=after_id or after,
            limit=limit,
        )
    return [RequestPublic.model_validate(r) for r in rows]


@router.get("/requests/stats", tags=["officer"])
def stats(
    factory: Factory, who: SignedIn, since: dt.date | None = None, until: dt.date | None = None
) -> DeskStatsPublic:
    """Volume by category and department, on-time rate, satisfaction, repeat requests."""
    with reading(factory) as s:
        found = desk_stats(s, actor=actor_of(who), since=since, until=until)
    return DeskStatsPublic.model_validate(found)


@router.get("/requests/{request_id}", tags=["requests"])
def one_request(factory: Factory, who: SignedIn, request_id: Id) -> RequestPublic:
    """One request with its history and files."""
    with reading(factory) as s:
        return RequestPublic.model_validate(
            get_request(s, actor=actor_of(who), request_id=request_id)
        )


@router.post("/requests/{request_id}/acknowledge", tags=["officer"])
def acknowledge_request(factory: Factory, who: ApiWriter, request_id: Id) -> RequestPublic:
    """Acknowledge a request of your department."""
    with transaction(factory) as s:
        row = acknowledge(s, actor=actor_of(who), request_id=request_id)
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/reply", tags=["officer"])
def reply_request(
    factory: Factory, who: ApiWriter, request_id: Id, body: ReplyCreate
) -> RequestPublic:
    """Answer a request of your department; the enterprise is told in its inbox."""
    with transaction(factory) as s:
        row = reply(s, actor=actor_of(who), request_id=request_id, text=body.text)
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/transfer", tags=["officer"])
def transfer_request(
    factory: Factory, who: ApiWriter, request_id: Id, body: TransferCreate
) -> RequestPublic:
    """Transfer a request of your department to another, with a reason (deadlines kept)."""
    with transaction(factory) as s:
        row = transfer(
            s,
            actor=actor_of(who),
            request_id=request_id,
            department=body.department,
            reason=body.reason,
        )
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/rate", tags=["requests"])
def rate_request(
    factory: Factory, who: ApiWriter, request_id: Id, body: RequestRating
) -> RequestPublic:
    """Rate the answer 1–5; 1 or 2 stars reopen the request once."""
    with transaction(factory) as s:
        row = rate(
            s, actor=actor_of(who), request_id=request_id, stars=body.stars, comment=body.comment
        )
    return RequestPublic.model_validate(row)


@router.get("/console/inbox", tags=["requests"])
def inbox(
    factory: Factory, who: SignedIn, unread_only: bool = False, limit: Limit = 100
) -> list[OfficerMessagePublic]:
    """The desk officer's or head's own inbox, newest first: the sweep's reminders (to the
    department's officers) and escalations (to its heads)."""
    with reading(factory) as s:
        rows = officer_inbox(s, actor=actor_of(who), unread_only=unread_only, limit=limit)
    return [OfficerMessagePublic.model_validate(r) for r in rows]


@router.post("/console/inbox/{message_id}/read", tags=["requests"])
def read_message(factory: Factory, who: ApiWriter, message_id: Id) -> OfficerMessagePublic:
    """Mark one of your messages read (the first time is kept)."""
    with transaction(factory) as s:
        return OfficerMessagePublic.model_validate(
            mark_read(s, actor=actor_of(who), message_id=message_id)
        )
