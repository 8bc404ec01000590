"""The officers' requests desk in the console: the department's queue (overdue and
escalated first marked), one request with its history, and the forms to acknowledge,
answer and transfer it; beside a request about a policy, the enterprise's records of that
policy and the policy explained for it. :mod:`huiqi.desk` checks the department."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.catalogue.service import policy_titles
from huiqi.db.engine import reading, transaction
from huiqi.delivery.freetext import is_blank
from huiqi.desk import closing
from huiqi.desk.categories import list_categories
from huiqi.desk.context import policy_context
from huiqi.desk.errors import DeskError
from huiqi.desk.handling import acknowledge, reply, transfer
from huiqi.desk.queries import get_request, list_requests, load
from huiqi.desk.routing import known_department, transfer_targets
from huiqi.desk.stats import desk_stats
from huiqi.desk.visibility import require_handles
from huiqi.desk.workdays import china_date
from huiqi.errors import HuiqiError
from huiqi.web.console_pages import require_page
from huiqi.web.deps import AppSettings, Factory, Lang, SignedIn, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form, form_id
from huiqi.web.views.requests import NAMES, STATUS_NAMES

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
QUEUE = 500  # requests a page of the queue shows; the next page follows the last number
WAITING = ("open", "acknowledged", "reopened")  # the default view: waiting for the department


def _today() -> dt.date:
    return china_date(dt.datetime.now(dt.UTC))


@router.get("/console/requests")
def desk_queue(
    request: Request,
    factory: Factory,
    who: SignedIn,
    status: str = "",
    after: int = 0,
    transferred: str = "",
    to: str = "",
) -> Response:
    """The requests of the officer's departments still waiting for them (or in one
    status), in number order, QUEUE a page: a full page links to the next one
    (``after``: the last number shown), so no request is out of reach. A status the desk
    does not know is said, with the statuses it knows, above the default list (it showed
    the default list as if the filter had been applied)."""
    actor = actor_of(who)
    require_page(actor, "/console/requests")
    chosen = status if status in STATUS_NAMES else ""
    after = min(max(after, 0), 2**62)
    with reading(factory) as s:
        rows = list_requests(
            s,
            actor=actor,
            statuses=(chosen,) if chosen else WAITING,
            after_id=after,
            limit=QUEUE + 1,
        )
        categories = list_categories(s)
        # A transfer comes back here, saying where the request went (qa9: the page said
        # nothing, and the request simply left the list). Only a department the desk
        # knows is named (or one owning a policy: a district's, qa4): the address is not a
        # place for any text to be shown.
        moved = form_id(transferred)
        gone_to = to if moved is not None and known_department(s, to) else None
    more = len(rows) > QUEUE
    rows = rows[:QUEUE]
    context: dict[str, Any] = {
        "rows": rows,
        "categories": categories,
        "today": _today(),
        "status": chosen,
        "unknown_status": _shown(status) if status != chosen else "",
        "after": after,
        "next_after": rows[-1].id if more else None,
        "transferred": (moved, gone_to) if gone_to else None,
        **NAMES,
    }
    return page(request, "console_requests.html", context)


def _shown(value: str) -> str:
    """A value of the address, shown back in a message: printable and short."""
    return "".join(c for c in value[:40] if c.isprintable())


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@router.get("/console/requests/stats")
def desk_statistics(
    request: Request, factory: Factory, who: SignedIn, lang: Lang, since: str = "", until: str = ""
) -> Response:
    """The desk's figures for the officer's departments: volume by category and department,
    the share answered on time, satisfaction and repeat requests, over a period."""
    start, end = _day(since[:10]), _day(until[:10])
    error = None
    if (since.strip() and start is None) or (until.strip() and end is None):
        error = N_("A date is written YYYY-MM-DD, e.g. 2026-03-01.")
    with reading(factory) as s:
        try:
            stats = desk_stats(s, actor=actor_of(who), since=start, until=end)
        except DeskError as exc:  # the period ends before it starts
            stats, error = desk_stats(s, actor=actor_of(who)), str(exc)
            start = end = None
        labels = {c.code: c.label_zh if lang == "zh-CN" else c.label_en for c in list_categories(s)}
    bars = [{"label": labels.get(v.key, v.key), "value": v.requests} for v in stats.by_category]
    stars = [{"label": f"{n}★", "value": count} for n, count in enumerate(stats.by_stars, 1)]
    context: dict[str, Any] = {
        "stats": stats,
        "labels": labels,
        "since": start.isoformat() if start else "",
        "until": end.isoformat() if end else "",
        "error": error,
        "bars": json.dumps(bars, ensure_ascii=False),
        "stars": json.dumps(stars),
    }
    return page(request, "console_requests_stats.html", context)


def _desk_page(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: Who,
    request_id: int,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    actor = actor_of(who)
    with reading(factory) as s:
        require_handles(actor, load(s, request_id), "handle")
        row = get_request(s, actor=actor, request_id=request_id)
        # The policy by its title, not its id (qa9: the page read "政策 jd-rd-…-2026").
        titles = policy_titles(s, [row.policy_id] if row.policy_id else [])
        # With the department that owns its policy (a district's own, for a district policy).
        targets = transfer_targets(s, load(s, request_id))
        categories = list_categories(s)
        context_error = None
        try:
            linked = policy_context(settings, s, actor=actor, request_id=request_id)
        except HuiqiError as exc:  # the policy is no longer published
            linked, context_error = None, str(exc)
    context: dict[str, Any] = {
        "r": row,
        "policy_title": titles.get(row.policy_id or ""),
        "categories": categories,
        "today": _today(),
        "departments": targets,
        "linked": linked,
        "context_error": context_error,
        "form": form,
        "errors": errors,
        "done": request.query_params.get("done"),
        **NAMES,
    }
    return page(request, "console_request.html", context, status_code=status_code)


@router.get("/console/requests/{request_id}")
def desk_request(
    request: Request, settings: AppSettings, factory: Factory, who: SignedIn, request_id: Id
) -> Response:
    return _desk_page(request, settings, factory, who, request_id, {}, {})


def _done(request_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"/console/requests/{request_id}?done={what}", status_code=303)


@router.post("/console/requests/{request_id}/acknowledge")
def desk_acknowledge(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    request_id: Id,
    form: Form,
) -> Response:
    try:
        with transaction(factory) as s:
            acknowledge(s, actor=actor_of(who), request_id=request_id)
    except DeskError as exc:
        errors = {"acknowledge": str(exc)}
        return _desk_page(request, settings, factory, who, request_id, {}, errors, status_of(exc))
    return _done(request_id, "acknowledged")


@router.post("/console/requests/{request_id}/reply")
def desk_reply(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    request_id: Id,
    form: Form,
) -> Response:
    text = form.get("reply", "")
    error: str | None = None
    status = 400
    if is_blank(text):  # a zero-width space too, which strip() keeps
        error = N_("Write the answer the enterprise will read.")
    else:
        try:
            with transaction(factory) as s:
                reply(s, actor=actor_of(who), request_id=request_id, text=text)
        except DeskError as exc:
            error, status = str(exc), status_of(exc)
    if error is not None:
        shown, errors = {"reply": text}, {"reply": error}
        return _desk_page(request, settings, factory, who, request_id, shown, errors, status)
    return _done(request_id, "replied")


@router.post("/console/requests/{request_id}/transfer")
def desk_transfer(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    request_id: Id,
    form: Form,
) -> Response:
    department, reason = form.get("department", ""), form.get("reason", "")
    errors: dict[str, str] = {}
    status = 400
    if not department:
        errors["department"] = N_("Choose the department that owns the request.")
    if is_blank(reason):
        errors["reason"] = N_("Give the reason for the transfer.")
    if not errors:
        try:
            with transaction(factory) as s:
                transfer(
                    s,
                    actor=actor_of(who),
                    request_id=request_id,
                    department=department,
                    reason=reason,
                )
        except DeskError as exc:
            # Beside the field the refusal names (HuiqiError.field), never by the words of
            # its text, which a rewording or a translation changes (qa2: "request 5 is
            # already with …" was shown beside the reason); any other beside the reason.
            errors["department" if exc.field == "department" else "reason"] = str(exc)
            status = status_of(exc)
    if errors:
        shown = {"department": department, "reason": reason}
        return _desk_page(request, settings, factory, who, request_id, shown, errors, status)
    query = urlencode({"transferred": request_id, "to": department})
    return RedirectResponse(f"/console/requests?{query}", status_code=303)


@router.post("/console/requests/{request_id}/close")
def desk_close(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    request_id: Id,
    form: Form,
) -> Response:
    """Close the request without an answer, with a reason the enterprise reads."""
    reason = form.get("close_reason", "")
    error: str | None = None
    status = 400
    if is_blank(reason):
        error = N_("Give the reason for closing the request; the enterprise reads it.")
    else:
        try:
            with transaction(factory) as s:
                closing.close(s, actor=actor_of(who), request_id=request_id, reason=reason)
        except DeskError as exc:
            error, status = str(exc), status_of(exc)
    if error is not None:
        shown, errors = {"close_reason": reason}, {"close": error}
        return _desk_page(request, settings, factory, who, request_id, shown, errors, status)
    return _done(request_id, "dept_closed")
