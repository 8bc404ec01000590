"""The one exception handler: each refusal answers JSON under /api/ (or when JSON is
asked for) and a page otherwise, with the status that says what kind of refusal it is.

Service errors carry messages written for users (what happened, what to do); an
unexpected error shows nothing of its insides.
"""

from __future__ import annotations

import contextlib
import gettext
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi.accounts.access import AccessDenied, NotSignedIn
from huiqi.accounts.idempotent_calls import NotReplayed
from huiqi.accounts.throttle import SignInThrottled
from huiqi.delivery.applications import ApplicationError, ReasonRefused
from huiqi.delivery.claims import ClaimError
from huiqi.delivery.disburse import NothingToPay
from huiqi.delivery.notice import NoticeError
from huiqi.delivery.repayment import RepaymentError
from huiqi.delivery.review import ReviewError
from huiqi.errors import (
    DatabaseBusy,
    HuiqiError,
    NotFoundError,
    StateConflict,
    StoreError,
    TooLarge,
)
from huiqi.jobs.service import JobBusy, JobError
from huiqi.web.deps import CsrfRefused, current
from huiqi.web.error_codes import ErrorCode, field_of, http_code
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.security import SESSION_COOKIE

log = logging.getLogger("huiqi.web")

# One rule for every endpoint, by the kind of refusal (docs/api.md "Status codes"):
# 400 the input cannot be used (a service's own check; 422: the request's JSON or
# parameters do not fit the schema), 401 no credential, 403 not allowed, 404 not found (or
# not yours to see), 409 the state of what it acts on does not allow it (StateConflict:
# already claimed, decided, rated, submitted; no longer open), 413 too large, 429
# throttled, 503 busy. Exception class → (HTTP status, a title for the page, in the
# catalogue, the JSON body's ``code``: huiqi.web.error_codes); the first that matches wins.
STATUSES: list[tuple[type[BaseException], int, str, ErrorCode]] = [
    (SignInThrottled, 429, N_("Too many attempts"), "throttled"),
    (NotSignedIn, 401, N_("Please sign in"), "not_signed_in"),
    (CsrfRefused, 403, N_("The form has expired"), "csrf_expired"),
    (AccessDenied, 403, N_("Not allowed"), "forbidden"),
    (NotFoundError, 404, N_("Not found"), "not_found"),
    (TooLarge, 413, N_("File too large"), "too_large"),
    (ReasonRefused, 400, N_("Cannot do that"), "invalid"),
    (ApplicationError, 409, N_("Cannot do that"), "conflict"),
    (ClaimError, 409, N_("Cannot claim"), "conflict"),
    (NoticeError, 409, N_("No notice yet"), "conflict"),
    (ReviewError, 409, N_("Cannot resolve the flag"), "conflict"),
    (NothingToPay, 409, N_("Nothing to pay"), "conflict"),
    (RepaymentError, 409, N_("Cannot do that"), "conflict"),
    (JobBusy, 409, N_("Already running"), "conflict"),
    (JobError, 409, N_("Cannot resume"), "conflict"),
    (NotReplayed, 409, N_("Cannot do that"), "not_replayed"),
    (StateConflict, 409, N_("Cannot do that"), "conflict"),
    (DatabaseBusy, 503, N_("Busy, please retry"), "busy"),
    (StoreError, 503, N_("No enterprise data yet"), "no_data"),
    (HuiqiError, 400, N_("Cannot do that"), "invalid"),
]
CONFLICT = 409


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def _classify(exc: BaseException) -> tuple[int, str, ErrorCode]:
    for kind, status, title, code in STATUSES:
        if isinstance(exc, kind):
            # A class whose refusals are of several kinds (ReviewError: a missing reason,
            # or a flag decided already) answers by the kind of this one.
            if status == CONFLICT and not isinstance(exc, StateConflict):
                return 400, title, "invalid"
            return status, title, code
    return 500, N_("Something went wrong"), "internal"


def status_of(exc: BaseException) -> int:
    """The HTTP status of a refusal, for a page that shows it beside its form."""
    return _classify(exc)[0]


def respond(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    code: ErrorCode,
    field: str | None = None,
    shown_by_get: bool | None = None,
) -> Response:
    """The refusal: JSON ``{"error", "code", "field", "detail"}`` (``field``: the request's
    field it is about, or null), or the error page (a POST's shown by a GET, unless
    ``shown_by_get`` is False: ``render.page``)."""
    headers = {"Retry-After": "5"} if status == 503 else {}
    if wants_json(request):
        body = {"error": title, "code": code, "field": field, "detail": message}
        return JSONResponse(body, status, headers=headers)
    return page(
        request,
        "error.html",
        {"title": title, "detail": message, "status": status},
        status_code=status,
        shown_by_get=shown_by_get,
    )


def return_to(request: Request) -> str:
    """Where a visitor sent to sign in comes back to: the page asked for, or, for a form
    posted with a session that had ended, the page of this site that held the form (its
    ``Referer``): the form's own address answers POST only, so coming back to it would be
    a 405 "Method Not Allowed"."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", "").strip())
    if referer.netloc.lower() == request.headers.get("host", "").lower() and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


async def huiqi_error(request: Request, exc: Exception) -> Response:
    status, title, code = _classify(exc)
    if status == 401 and not wants_json(request):
        return RedirectResponse(f"/login?next={quote(return_to(request))}", status_code=303)
    message = str(exc)
    if request.url.path.startswith("/api/"):
        # A program's developer has the API, not the server's command line: a refusal
        # that names a command ('huiqi disburse export') names the API's call instead.
        from huiqi.web.api_texts import api_wording

        message = api_wording(message)
    if isinstance(exc, StoreError) and message == str(exc):
        # The store's refusals name its path on the server and a command to run there:
        # neither is a client's to see or do. Said as the pages say it (in English; a page
        # translates it again in its own language).
        from huiqi.web.refusals import localise

        message = localise(gettext.NullTranslations(), message)
    field = exc.field if isinstance(exc, HuiqiError) else None
    # A form whose CSRF token is not the session's says to reload its page: a kept copy of
    # the refusal would be what the reload shows.
    again = False if isinstance(exc, CsrfRefused) else None
    response = respond(request, status, title, message, code=code, field=field, shown_by_get=again)
    if status == 401:  # RFC 9110: a 401 names the scheme that would authenticate
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, SignInThrottled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


# What FastAPI answers when a body it reads as JSON raises anything but a JSON syntax error.
UNREADABLE_BODY = "There was an error parsing the body"


def unreadable_body(cause: BaseException | None) -> str:
    """Why a JSON body could not be read, and what to send instead: FastAPI's own words
    ("There was an error parsing the body") say neither."""
    if isinstance(cause, RecursionError):
        why = "it nests arrays or objects deeper than the parser allows"
    elif isinstance(cause, UnicodeDecodeError):
        why = "it is not UTF-8 text"
    elif isinstance(cause, ValueError) and "digits" in str(cause):
        why = "it holds a number of more than 4300 digits"
    else:
        why = "it is not valid JSON"
    return (
        f"the request body cannot be read: {why}; send a JSON object as the endpoint's schema"
        " in /api/v1/openapi.json describes"
    )


# Starlette's refusal of a form field above its 1 MB limit (a multipart "part" or a field of
# an urlencoded form), in English whatever the page's language, and a 400: the body is too
# large, a 413 (docs/api.md). No text field of huiqi's forms holds more than 200,000
# characters; files go through huiqi.web.uploads, with their own limit.
FIELD_TOO_LARGE = ("Part exceeded maximum size of", "Field exceeded maximum size of")


async def _know_visitor(request: Request) -> None:
    """Who is signed in, for a page answered before any route ran (an address that does
    not exist, a form's address opened by a link): its header offered a signed-in visitor
    to sign in and no way to sign out, and on /logout that link led back to this page."""
    if wants_json(request) or hasattr(request.state, "actor"):
        return
    if not request.cookies.get(SESSION_COOKIE):
        return
    # A token that cannot be read (or a database that cannot answer) leaves the visitor
    # unknown: the refusal is shown all the same.
    with contextlib.suppress(HuiqiError, SQLAlchemyError):
        await run_in_threadpool(current, request, request.app.state.factory)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    await _know_visitor(request)
    title = N_("Not found") if exc.status_code == 404 else N_("Cannot do that")
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == UNREADABLE_BODY:
        detail = unreadable_body(exc.__cause__)
    if exc.status_code == 405:  # Starlette's bare "Method Not Allowed", in English
        allowed = (exc.headers or {}).get("Allow", "")
        if wants_json(request):
            detail = f"{request.method} is not allowed here; use {allowed or 'another method'}"
        else:  # an address typed or bookmarked that only a form's button sends to
            detail = N_(
                "this address only takes what a form of the portal sends; go back to the page"
                " and use its button"
            )
    if exc.status_code == 413:  # huiqi.web.bodylimit
        return respond(request, 413, N_("Too large"), detail, code="too_large")
    if exc.status_code == 400 and detail.startswith(FIELD_TOO_LARGE):
        detail = N_(
            "a field of this form holds more than 1 MB, the most one field may hold; shorten"
            " it (a file goes in a file field)"
        )
        return respond(request, 413, N_("Too large"), detail, code="too_large")
    response = respond(request, exc.status_code, title, detail, code=http_code(exc.status_code))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        body = {
            "error": "invalid request",
            "code": "invalid_request",
            "field": field_of(exc.errors()),
            "detail": jsonable_errors(exc, request),
        }
        return JSONResponse(body, status_code=422)
    # Pydantic's words ("query.page: Input should be greater than or equal to 1") read in
    # English on every page: the page says which value of its address it cannot use, in
    # its language (a template of huiqi.web.refusals).
    first = exc.errors()[0] if exc.errors() else {}
    loc = first.get("loc") or ("",)
    value = first.get("input")
    shown = "" if value is None or isinstance(value, dict) else str(value)
    shown = "".join(c for c in shown if c.isprintable())
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    text = (
        f"{loc[-1]}={shown} in this page's address cannot be used; open the page from the"
        " portal's links"
    )
    return respond(request, 400, N_("Cannot do that"), text, code="invalid_request")


SEND_JSON = "send a JSON object as the endpoint's schema in /api/v1/openapi.json describes"


def body_refusal(error: Mapping[str, Any], content_type: str | None) -> str | None:
    """What is wrong with a JSON body as a whole, in words that say what to send, where
    pydantic's own say neither: "JSON decode error" for a syntax error (and not where), and
    "Input should be a valid dictionary or object to extract fields from" for a body sent
    with another Content-Type (text/plain, a form), which FastAPI then does not read as
    JSON. None for any other error."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        why = str((error.get("ctx") or {}).get("error", "")) or "it does not parse"
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        return f"the body is not valid JSON: {why}{at}; {SEND_JSON}"
    if loc != ("body",):
        return None
    if error.get("type") == "missing":
        return f"the body is empty; {SEND_JSON}"
    media = (content_type or "").split(";")[0].strip().lower()
    if not (media == "application/json" or media.endswith("+json")):
        sent = f"Content-Type {content_type}" if content_type else "no Content-Type"
        return (
            f"the body was sent with {sent}, so it was not read as JSON; send it with"
            f" Content-Type: application/json ({SEND_JSON})"
        )
    if error.get("type") in ("model_attributes_type", "dict_type", "model_type"):
        got = type(error.get("input")).__name__
        kind = {"list": "an array", "str": "a string", "NoneType": "null"}.get(got, "a value")
        return f"the body is {kind}, not a JSON object ({{...}}); {SEND_JSON}"
    return None


# What a parameter's pattern asks for, in words: pydantic's refusal quotes the regular
# expression ("String should match pattern '^\\d{4}-(0[1-9]|1[0-2])$'").
PATTERN_WORDS = {
    r"^\d{4}-(0[1-9]|1[0-2])$": "a month written YYYY-MM, e.g. 2026-03",
    r"^[a-z][a-z0-9_-]*$": "a policy id: lower-case letters, digits, '-' and '_',"
    " beginning with a letter, e.g. sh-startup-subsidy-2026",
    r"^[a-z_]+:[\x21-\x7e]+$": "an entity written kind:id, e.g. grant:42 or user:admin",
    r"^[0-9A-Za-z-]+$": "letters, digits and '-' only",
    # The Idempotency-Key header (huiqi.web.idempotent, which checks it with this text).
    r"^[!-~]+$": "1 to 64 visible ASCII characters (no spaces), e.g. a UUID",
}


def pattern_refusal(error: Mapping[str, Any]) -> str | None:
    """A pattern's refusal in words, with the value sent; None for any other error."""
    if error.get("type") != "string_pattern_mismatch":
        return None
    pattern = str((error.get("ctx") or {}).get("pattern", ""))
    words = PATTERN_WORDS.get(pattern)
    if words is None:
        return None
    sent = "".join(c for c in str(error.get("input", "")) if c.isprintable())[:40]
    return f"'{sent}' cannot be used here: write {words}"


def extra_refusal(error: Mapping[str, Any]) -> str | None:
    """A body's field the endpoint does not take, named, with where to find those it does
    (pydantic says "Extra inputs are not permitted"); None for any other error."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") != "extra_forbidden" or len(loc) < 2 or loc[0] != "body":
        return None
    return (
        f"this endpoint takes no field '{loc[-1]}'; the endpoint's schema in"
        " /api/v1/openapi.json names the fields it takes"
    )


def _own_words(error: Mapping[str, Any]) -> str:
    """The message, without the "Value error, " pydantic puts before a validator's own."""
    msg = str(error.get("msg", ""))
    if error.get("type") == "value_error":
        msg = msg.removeprefix("Value error, ")
    return msg


def jsonable_errors(
    exc: RequestValidationError, request: Request | None = None
) -> list[dict[str, object]]:
    content_type = request.headers.get("content-type") if request is not None else None
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": body_refusal(e, content_type)
            or pattern_refusal(e)
            or extra_refusal(e)
            or _own_words(e),
        }
        for e in exc.errors()
    ]


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    message = N_("Please try again later.")
    return respond(request, 500, N_("Something went wrong"), message, code="internal")


def install(app: FastAPI) -> None:
    app.add_exception_handler(HuiqiError, huiqi_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
