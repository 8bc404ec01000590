"""The officer console's audit log page, for admins: the newest events first, filtered by
kind, actor and entity, one page at a time by keyset (``before``, the id the next page
starts below: never an offset, which would read and skip every event before it).

One service call (``delivery.service.audit_log``), which checks the admin role. The
filters come from the page's address, typed or tampered with: a value the log cannot
hold is told on the page (400), never a server error."""

from __future__ import annotations

import gettext
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
from huiqi.delivery.rows import EventRow
from huiqi.web import i18n
from huiqi.web.console_pages import require_page
from huiqi.web.deps import Factory, SignedIn, actor_of
from huiqi.web.errors import wants_json
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


def _catalogue(request: Request) -> gettext.NullTranslations:
    return i18n.translations(i18n.choose(request.cookies.get(i18n.COOKIE)))


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
    if wants_json(request):
        body = {"events": [asdict(r) for r in rows], "next": next_page, "error": error}
        return JSONResponse(jsonable_encoder(body), status_code=status)
    context: dict[str, Any] = {
        "rows": rows,
        "filters": filters,
        "error": _catalogue(request).gettext(error) if error else None,
        "next_page": next_page,
        "first_page": f"{PATH}?{urlencode(shown)}" if shown else PATH,
        "continued": bool(before) and error is None,
    }
    return page(request, "console_audit.html", context, status_code=status)
