"""The enterprise portal: home, inbox and grants history (enterprise, park operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from huiqi import clock
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.catalogue.service import list_policies
from huiqi.db.engine import reading, transaction
from huiqi.delivery import inbox as enterprise_inbox
from huiqi.delivery import service as ledger
from huiqi.delivery.message_links import message_links
from huiqi.delivery.ratings import RATED_RECORDS, list_ratings
from huiqi.web.console_pages import landing
from huiqi.web.deps import AppSettings, Factory, SignedIn, actor_of
from huiqi.web.i18n import N_
from huiqi.web.portal import (
    asked_enterprise,
    build_home,
    enterprise_of,
    every_row,
    park_page,
    withdrawn_unpaid,
)
from huiqi.web.render import page
from huiqi.web.views.forms import Form, form_id

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/home")
def home(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    uscc: str = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    if not who.portal:  # an officer's pages are the console's, not an enterprise's home
        return RedirectResponse(landing(who.actor), status_code=303)
    code = asked_enterprise(uscc) or who.enterprise
    # A park operator (no enterprise of its own) sees its park's enterprises, not "mine".
    operator = who.enterprise is None and bool(who.actor and who.actor.has(Role.PARK_OPERATOR))
    with reading(factory) as s:
        view = build_home(s, actor=actor_of(who), uscc=code, settings=settings)
    view, park = park_page(view, page_number)
    # "own": the enterprise the user is; a park operator's links name the enterprise shown.
    context = {
        "home": view,
        "uscc": uscc or who.enterprise,
        "own": who.enterprise,
        "park_page": park,
        "operator": operator,
        "heading": _home_heading(operator, bool(uscc)),
    }
    return page(request, "home.html", context)


def _home_heading(operator: bool, one: bool) -> str:
    """The home page's heading: an enterprise's own policies; a park operator's park (its
    enterprises), or one enterprise of that park. Regression (qa4): a park operator's home
    was headed "My policies" (我的政策), as if the park were an enterprise."""
    if not operator:
        return N_("My policies")
    return (
        N_("Policies of an enterprise in our park")
        if one
        else N_("Our park: its enterprises and their policies")
    )


# The messages one inbox page shows; older ones follow by keyset (``before``, the last id
# shown), never by an offset. Regression (qa9): the page showed the newest 100 and no
# more, with no way to the older ones (the API had ``before_id``; the page had nothing).
INBOX_PAGE = 50
Before = Annotated[int | None, Query(ge=1, le=2**62)]


def _inbox_path(code: str, uscc: str, before: int | None) -> str:
    params = ([f"uscc={code}"] if uscc else []) + ([f"before={before}"] if before else [])
    return "/inbox" + ("?" + "&".join(params) if params else "")


@router.get("/inbox")
def inbox(
    request: Request, factory: Factory, who: SignedIn, uscc: str = "", before: Before = None
) -> Response:
    code = enterprise_of(who, uscc)
    actor = actor_of(who)
    with reading(factory) as s:
        # Nothing told to it yet is an empty inbox (huiqi.delivery.inbox.inbox).
        messages = enterprise_inbox.inbox(
            s, code, actor=actor, limit=INBOX_PAGE + 1, before_id=before
        )
        more = len(messages) > INBOX_PAGE
        messages = messages[:INBOX_PAGE]
        links = message_links(s, messages)  # where each message is followed (qa4)
    context = {
        "messages": messages,
        "links": links,
        "asked_uscc": uscc,  # a park operator's: the policy pages it links to name it too
        "own": code == who.enterprise,  # else "you" (您) in the messages is not the reader
        "uscc": code,
        "before": before,
        "next_page": _inbox_path(code, uscc, messages[-1].id) if more else None,
        "first_page": _inbox_path(code, uscc, None) if before else None,
    }
    return page(request, "inbox.html", context)


@router.post("/inbox/{message_id}/read")
def mark_read(factory: Factory, who: SignedIn, message_id: Id, form: Form) -> Response:
    code = enterprise_of(who, form.get("uscc"))
    with transaction(factory) as s:
        enterprise_inbox.mark_read(s, message_id, code, actor=actor_of(who))
    # Back to the page the message was on (an older page's message is not on the first).
    path = _inbox_path(code, form.get("uscc") or "", form_id(form.get("before")))
    return RedirectResponse(f"{path}#message-{message_id}", status_code=303)


@router.get("/grants")
def grants(request: Request, factory: Factory, who: SignedIn, uscc: str = "") -> Response:
    code = asked_enterprise(uscc) or who.enterprise
    with reading(factory) as s:
        # Every page: a park's grants outnumber one page of the ledger.
        rows = every_row(ledger.list_grants, s, actor_of(who), code)
        records = every_row(ledger.list_records, s, actor_of(who), code)
        try:
            ratings = every_row(list_ratings, s, actor_of(who), code)
        except AccessDenied:  # a finance officer reads the grants, not the ratings
            ratings = []
        titles = {c.policy_id: c.title for c in list_policies(s)}
    # A grant withdrawn after review before export is never paid: its record is listed
    # among the decisions (withdrawn, with the reason), not as a grant awaiting payment.
    unpaid = withdrawn_unpaid(records, rows)
    rows = [g for g in rows if g.id not in unpaid]
    granted = {(g.uscc, g.policy_id, g.version) for g in rows}
    year = clock.today().year
    return page(
        request,
        "grants.html",
        {
            "grants": list(reversed(rows)),
            # Decisions without a grant (rejected, expired, …) are rated too.
            "decisions": [
                r
                for r in reversed(records)
                if r.status in RATED_RECORDS and (r.uscc, r.policy_id, r.version) not in granted
            ],
            "grant_stars": {r.grant_id: r.stars for r in ratings if r.grant_id},
            "record_stars": {r.entitlement_id: r.stars for r in ratings if r.entitlement_id},
            "rated": request.query_params.get("rated"),
            # Only the enterprise and its park operator rate (an officer reads the page).
            "can_rate": actor_of(who).has(Role.ENTERPRISE, Role.PARK_OPERATOR),
            "uscc": uscc.strip().upper(),
            "titles": titles,
            "year": year,
            "paid_this_year": sum(
                g.amount_fen
                for g in rows
                if g.status == "paid" and g.paid_at is not None and g.paid_at.year == year
            ),
        },
    )
