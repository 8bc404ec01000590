"""``/api/v1`` for the requests desk (诉求): an enterprise files and follows its requests
and rates the answers; a department's officers list, acknowledge, answer and transfer
them; the dashboard reads the figures. Each endpoint calls one :mod:`huiqi.desk` service
function, which checks access."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi.accounts.access import require_role
from huiqi.accounts.roles import DESK_ROLES, Role
from huiqi.db.engine import reading, transaction
from huiqi.desk import closing
from huiqi.desk.categories import list_categories
from huiqi.desk.filing import MAX_BYTES, MAX_FILES, file_request
from huiqi.desk.handling import acknowledge, reply, transfer
from huiqi.desk.inbox import mark_read, officer_inbox
from huiqi.desk.queries import get_attachment, get_request, list_requests
from huiqi.desk.rating import rate
from huiqi.desk.rows import RequestRow
from huiqi.desk.stats import desk_stats
from huiqi.web.api.desk_schemas import (
    CategoryPublic,
    DeskStatsPublic,
    OfficerMessagePublic,
    ReplyCreate,
    RequestClose,
    RequestCreate,
    RequestPublic,
    RequestRating,
    RequestWithdraw,
    TransferCreate,
)
from huiqi.web.api.v1 import ERRORS, Before, Limit, Page, Uscc
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, actor_of, role_gate
from huiqi.web.errors import UNREADABLE_BODY
from huiqi.web.portal import enterprise_of
from huiqi.web.uploads import download, read_bounded, refuse_too_large

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**62)]
# A choice, not a pattern: a wrong status is answered with the statuses to write, where a
# pattern's refusal quoted its regular expression.
Status = Annotated[
    Literal["open", "acknowledged", "answered", "reopened", "closed", "withdrawn"] | None,
    Query(description="A withdrawn request (the enterprise withdrew it) is not listed as closed"),
]
Department = Annotated[str | None, Query(max_length=200)]
# Who reads requests at all (the service checks which: their own, their park's, their
# departments'), refused before the query is read.
READERS = role_gate("read requests", Role.ENTERPRISE, Role.PARK_OPERATOR, *sorted(DESK_ROLES))
HANDLERS = role_gate("handle requests", *sorted(DESK_ROLES))  # of their departments
PORTAL = role_gate("act for an enterprise", Role.ENTERPRISE, Role.PARK_OPERATOR)


@router.get("/request-categories", tags=["requests"])
def categories(factory: Factory) -> list[CategoryPublic]:
    """The kinds of request, their department and deadlines in working days."""
    with reading(factory) as s:
        return [CategoryPublic.model_validate(c) for c in list_categories(s)]


def _request_body() -> dict[str, Any]:
    """The OpenAPI body of ``POST /requests``: JSON, or the same fields as a multipart
    form with up to MAX_FILES files in ``files`` (the endpoint reads the body itself)."""
    fields = RequestCreate.model_json_schema()
    form = {
        **fields,
        "properties": {
            **fields["properties"],
            "files": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "maxItems": MAX_FILES,
                "description": "PDF, PNG, JPEG, xlsx or docx; at most 10 MB each",
            },
        },
    }
    content = {"application/json": {"schema": fields}, "multipart/form-data": {"schema": form}}
    return {"requestBody": {"required": True, "content": content}}


def _checked(raw: Any) -> RequestCreate:
    """The body's fields checked as a JSON body is, a refusal the same 422."""
    try:
        if isinstance(raw, bytes):
            return RequestCreate.model_validate_json(raw)
        return RequestCreate.model_validate(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _json_body(media: str, raw: bytes) -> RequestCreate:
    """A body that is not multipart, read as JSON when it is sent as JSON: refused as every
    other endpoint refuses a body of another Content-Type or an empty one (the wording is
    huiqi.web.errors.body_refusal's). It was parsed whatever its type, so text/plain or no
    Content-Type filed a request, an empty body was "not valid JSON: EOF ...", and a syntax
    error was worded by pydantic's parser, not as the other endpoints word it."""
    if not (media == "application/json" or media.endswith("+json")):
        kind = "model_attributes_type"  # FastAPI's error for a body it did not read as JSON
        raise RequestValidationError([{"type": kind, "loc": ("body",), "msg": "", "input": None}])
    if not raw.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "", "input": None}]
        )
    try:  # parsed as FastAPI parses the other endpoints' bodies, for the same message
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "", "input": {}}
        raise RequestValidationError([{**error, "ctx": {"error": exc.msg}}]) from None
    except (RecursionError, ValueError) as exc:
        # Nested too deep, a number of over 4300 digits, not UTF-8: FastAPI's 400 for the
        # other endpoints, worded by huiqi.web.errors.unreadable_body (a RecursionError
        # was a server error here, and the digits one Python's own advice).
        raise StarletteHTTPException(400, UNREADABLE_BODY) from exc
    return _checked(parsed)


async def _form(request: Request) -> tuple[RequestCreate, list[tuple[str | None, bytes]]]:
    """A multipart body's fields and files (field ``files``), each file read up to
    MAX_BYTES (413 above it, as the portal's form limits them)."""
    refuse_too_large(request, MAX_BYTES, extra=MAX_BYTES * (MAX_FILES - 1), field="files")
    form = await request.form(max_files=MAX_FILES + 1, max_fields=10)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "files"}
        files: list[tuple[str | None, bytes]] = []
        for upload in form.getlist("files"):
            if isinstance(upload, UploadFile) and (upload.filename or upload.size):
                files.append(await read_bounded(upload, MAX_BYTES, "files"))
    finally:
        await form.close()
    # An empty field is a field not given, as a form sends what it has.
    return _checked({k: v for k, v in fields.items() if v.strip()}), files


@router.post(
    "/requests",
    tags=["requests"],
    dependencies=[PORTAL],
    openapi_extra=_request_body(),
    responses={413: ERRORS[400]},
)
async def create_request(
    request: Request, factory: Factory, who: ApiWriter, settings: AppSettings
) -> RequestPublic:
    """File a request as the enterprise (or its park operator); it is routed to a
    department. JSON, or ``multipart/form-data`` with the same fields and up to 5 files in
    ``files`` (10 MB each; PDF, PNG, JPEG, xlsx or docx, read from the content), as the
    portal's form takes them. Who may file is checked before a file is read.

    With an ``Idempotency-Key`` header (:mod:`huiqi.web.idempotent`, as every write), a
    call repeated with the same key by the same account answers the request filed the
    first time and files nothing, and the key with another body is a 422; the key is also
    kept with the request, whose unique index files it once."""
    actor = actor_of(who)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    files: list[tuple[str | None, bytes]] = []
    if media == "multipart/form-data":
        require_role(actor, "file requests", Role.ENTERPRISE, Role.PARK_OPERATOR)
        body, files = await _form(request)
    else:
        body = _json_body(media, await request.body())
    code = enterprise_of(who, body.uscc)

    def filing() -> RequestRow:
        with transaction(factory) as s:
            return file_request(
                s,
                actor=actor,
                uscc=code,
                category=body.category,
                text=body.text,
                policy_id=body.policy_id,
                grant_id=body.grant_id,
                files=files,
                settings=settings,
                idempotency_key=request.headers.get("idempotency-key"),
            )

    return RequestPublic.model_validate(await run_in_threadpool(filing))


@router.get(
    "/request-files/{attachment_id}",
    dependencies=[READERS],
    tags=["requests"],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def request_file(factory: Factory, who: SignedIn, attachment_id: Id) -> Response:
    """A file filed with a request (``attachments`` of ``GET /requests/{id}``), for those
    who may read the request: the enterprise, its park operator, the department's desk
    officers (whose read is an audit event). 404 for a file that does not exist."""
    with transaction(factory) as s:  # an official's read is an audit event
        row, content = get_attachment(s, actor=actor_of(who), attachment_id=attachment_id)
    return download(content, row.content_type, row.filename, row.id)


@router.get("/requests", tags=["requests"], dependencies=[READERS])
def requests(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    department: Department = None,
    status: Status = None,
    escalated: bool | None = None,
    after_id: Page = 0,
    after: Annotated[
        int,
        Query(ge=0, le=2**62, deprecated=True, description="after_id's earlier name"),
    ] = 0,
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


@router.get(
    "/requests/stats",
    tags=["officer"],
    dependencies=[role_gate("read the desk's statistics", *DESK_ROLES)],
)
def stats(
    factory: Factory, who: SignedIn, since: dt.date | None = None, until: dt.date | None = None
) -> DeskStatsPublic:
    """Volume by category and department, on-time rate, satisfaction, repeat requests."""
    with reading(factory) as s:
        found = desk_stats(s, actor=actor_of(who), since=since, until=until)
    return DeskStatsPublic.model_validate(found)


@router.get("/requests/{request_id}", tags=["requests"], dependencies=[READERS])
def one_request(factory: Factory, who: SignedIn, request_id: Id) -> RequestPublic:
    """One request with its history and files."""
    with reading(factory) as s:
        return RequestPublic.model_validate(
            get_request(s, actor=actor_of(who), request_id=request_id)
        )


@router.post("/requests/{request_id}/acknowledge", tags=["officer"], dependencies=[HANDLERS])
def acknowledge_request(factory: Factory, who: ApiWriter, request_id: Id) -> RequestPublic:
    """Acknowledge a request of your department."""
    with transaction(factory) as s:
        row = acknowledge(s, actor=actor_of(who), request_id=request_id)
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/reply", tags=["officer"], dependencies=[HANDLERS])
def reply_request(
    factory: Factory, who: ApiWriter, request_id: Id, body: ReplyCreate
) -> RequestPublic:
    """Answer a request of your department; the enterprise is told in its inbox."""
    with transaction(factory) as s:
        row = reply(s, actor=actor_of(who), request_id=request_id, text=body.text)
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/transfer", tags=["officer"], dependencies=[HANDLERS])
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


@router.post("/requests/{request_id}/rate", tags=["requests"], dependencies=[PORTAL])
def rate_request(
    factory: Factory, who: ApiWriter, request_id: Id, body: RequestRating
) -> RequestPublic:
    """Rate the answer 1–5; 1 or 2 stars reopen the request once."""
    with transaction(factory) as s:
        row = rate(
            s, actor=actor_of(who), request_id=request_id, stars=body.stars, comment=body.comment
        )
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/withdraw", tags=["requests"], dependencies=[PORTAL])
def withdraw_request(
    factory: Factory,
    who: ApiWriter,
    request_id: Id,
    body: Annotated[RequestWithdraw | None, Body()] = None,
) -> RequestPublic:
    """Withdraw your request before it is answered (an optional ``reason``); its status
    reads ``withdrawn`` from then on, and a second call changes nothing."""
    with transaction(factory) as s:
        row = closing.withdraw(
            s, actor=actor_of(who), request_id=request_id, reason=body.reason if body else None
        )
    return RequestPublic.model_validate(row)


@router.post("/requests/{request_id}/close", tags=["officer"], dependencies=[HANDLERS])
def close_request(
    factory: Factory, who: ApiWriter, request_id: Id, body: RequestClose
) -> RequestPublic:
    """Close a request of your department unanswered, with a reason the enterprise reads
    (a duplicate, resolved by phone); it counts as answered, late if past its deadline."""
    with transaction(factory) as s:
        row = closing.close(s, actor=actor_of(who), request_id=request_id, reason=body.reason)
    return RequestPublic.model_validate(row)


@router.get(
    "/console/inbox",
    tags=["requests"],
    dependencies=[role_gate("read the officers' inbox", *DESK_ROLES)],
)
def inbox(
    factory: Factory,
    who: SignedIn,
    unread_only: bool = False,
    limit: Limit = 100,
    before_id: Before = None,
) -> list[OfficerMessagePublic]:
    """The desk officer's or head's own inbox, newest first: the sweep's reminders (to the
    department's officers) and escalations (to its heads); the next page is
    ``before_id=<the last id of this one>`` (a keyset)."""
    with reading(factory) as s:
        rows = officer_inbox(
            s, actor=actor_of(who), unread_only=unread_only, limit=limit, before_id=before_id
        )
    return [OfficerMessagePublic.model_validate(r) for r in rows]


@router.post(
    "/console/inbox/{message_id}/read",
    tags=["requests"],
    dependencies=[role_gate("read the officers' inbox", *sorted(DESK_ROLES))],
)
def read_message(factory: Factory, who: ApiWriter, message_id: Id) -> OfficerMessagePublic:
    """Mark one of your messages read (the first time is kept)."""
    with transaction(factory) as s:
        return OfficerMessagePublic.model_validate(
            mark_read(s, actor=actor_of(who), message_id=message_id)
        )
