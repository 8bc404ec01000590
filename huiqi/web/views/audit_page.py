"""The officer console's audit log page, for admins: the newest events first, filtered by
kind, actor and entity, one page at a time by keyset (``before``, the id the next page
starts below: never an offset, which would read and skip every event before it).

Each event's kind is shown by its name in the page's language, its code beside it (an
officer searches by it); its reason in the page's language when the system wrote it, as
typed when a person did (:mod:`huiqi.web.event_reasons`); what is stored is untouched.
The JSON twin gives both: the stored ``kind`` and ``reason``, and ``kind_label`` and
``reason_label`` as the page shows them.

One service call (``delivery.service.audit_log``), which checks the admin role. The
filters come from the page's address, typed or tampered with: a value the log cannot
hold is told on the page (400), never a server error."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from huiqi.db.engine import reading
from huiqi.delivery import service as ledger
from huiqi.delivery.event_kinds import KINDS
from huiqi.delivery.rows import EventRow
from huiqi.web import i18n
from huiqi.web.console_pages import require_page
from huiqi.web.deps import Factory, SignedIn, actor_of
from huiqi.web.errors import wants_json
from huiqi.web.event_names import event_name
from huiqi.web.event_reasons import shown_reason
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import form_id

router = APIRouter(include_in_schema=False)
PATH = "/console/audit"
PAGE = 50  # events a page shows
LONGEST = 64  # the longest kind, actor or entity the log stores
FILTERS = ("kind", "actor", "entity")
# An object's trail as the log names it: kind:id (grant:12, user:3, batch:7).
ENTITY = re.compile(r"[a-z_]+:[\x21-\x7e]+")


def _checked(filters: dict[str, str], before: str) -> str | None:
    """Why the page cannot use its filters (a message of the catalogue), or None."""
    for value in filters.values():
        if len(value) > LONGEST:
            return N_("A filter holds at most 64 characters.")
        if any(unicodedata.category(c).startswith("C") for c in value):
            return N_("A filter cannot hold control characters.")
    if filters["entity"] and not ENTITY.fullmatch(filters["entity"]):
        return N_("Write the entity as kind:id, such as grant:12 or user:3.")
    if before and form_id(before) is None:
        return N_("This page's address names no event to continue from; start from the newest.")
    return None


def _language(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE))


def _shown(row: EventRow, language: str) -> dict[str, Any]:
    """An event as the page shows it: its fields as stored, its kind by its name and its
    reason in the page's language (the system's words translated, a person's as typed)."""
    name = i18n.translations(language).gettext(event_name(row.kind))
    return asdict(row) | {
        "kind_label": name,
        "reason_label": shown_reason(language, row.kind, row.reason) or None,
    }


def _kinds(language: str, chosen: str) -> list[tuple[str, str]]:
    """The kinds an officer may filter by, (code, name) in the order of their names; a kind
    asked for that the system no longer writes is kept, by its code."""
    catalogue = i18n.translations(language)
    kinds = [(k, catalogue.gettext(event_name(k))) for k in KINDS]
    if chosen and chosen not in KINDS:
        kinds.append((chosen, chosen))
    return sorted(kinds, key=lambda pair: (pair[1], pair[0]))


@router.get(PATH)
def audit(request: Request, factory: Factory, who: SignedIn) -> Response:
    actor = actor_of(who)
    require_page(actor, PATH)
    query = request.query_params
    filters = {k: query.get(k, "").strip() for k in FILTERS}
    before = query.get("before", "").strip()
    error = _checked(filters, before)
    rows: list[EventRow] = []
    if error is None:
        with reading(factory) as s:
            rows = ledger.audit_log(
                s,
                actor=actor,
                kind=filters["kind"] or None,
                by=filters["actor"] or None,
                entity=filters["entity"] or None,
                before_id=form_id(before),
                limit=PAGE + 1,
            )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    shown = {k: v for k, v in filters.items() if v} if error is None else {}
    next_page = (
        f"{PATH}?{urlencode(shown | {'before': str(rows[-1].id)})}" if more and rows else None
    )
    status = 400 if error else 200
    language = _language(request)
    events = [_shown(r, language) for r in rows]
    if wants_json(request):
        body = {"events": events, "next": next_page, "error": error}
        return JSONResponse(jsonable_encoder(body), status_code=status)
    context: dict[str, Any] = {
        "rows": events,
        "kinds": _kinds(language, filters["kind"]),
        "filters": filters,
        "error": i18n.translations(language).gettext(error) if error else None,
        "next_page": next_page,
        "first_page": f"{PATH}?{urlencode(shown)}" if shown else PATH,
        "continued": bool(before) and error is None,
    }
    return page(request, "console_audit.html", context, status_code=status)
