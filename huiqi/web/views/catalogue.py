"""The catalogue, open to anyone, and each policy's page: with the enterprise's own
checklist and its one-click claim when an enterprise (or its park operator) is signed in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from huiqi import clock
from huiqi.catalogue.service import (
    MODES,
    CatalogueFilter,
    departments,
    districts,
    get_policy,
    list_policies,
)
from huiqi.db.engine import reading
from huiqi.delivery import applications, withdrawal
from huiqi.delivery import service as ledger
from huiqi.delivery.attachments import list_attachments
from huiqi.delivery.claims import ClaimError, claim
from huiqi.delivery.commitments import commitments_made
from huiqi.errors import HuiqiError
from huiqi.web import i18n
from huiqi.web.console_pages import landing
from huiqi.web.deps import AppSettings, Factory, SignedIn, Viewer, actor_of
from huiqi.web.errors import status_of
from huiqi.web.filters import parse_filter
from huiqi.web.portal import NOT_COUNTED, enterprise_of, explain_policy
from huiqi.web.render import page, page_url
from huiqi.web.views.attachments import ERRORS as ATTACH_ERRORS
from huiqi.web.views.forms import Form, form_id

router = APIRouter(include_in_schema=False)


@router.get("/")
def root(who: Viewer) -> Response:
    return RedirectResponse(landing(who.actor), status_code=303)


@router.get("/policies")
def catalogue(
    request: Request,
    factory: Factory,
    who: Viewer,
    q: str = "",
    department: str = "",
    level: str = "",
    district: str = "",
    mode: str = "",
    deadline_after: str = "",
    amount_min: str = "",
    subunits: bool = False,
) -> Response:
    form: dict[str, Any] = {
        "q": q[:200],
        "department": department[:200],
        "level": level[:20],
        "district": district[:6],
        "mode": mode[:20],
        "deadline_after": deadline_after[:20],
        "amount_min": amount_min[:30],
        "subunits": subunits,
    }
    error = None
    try:
        chosen = parse_filter(**form)
        chosen.check()  # a level or mode it does not know is said, not ignored
    except HuiqiError as exc:
        error, chosen = str(exc), parse_filter()
    with reading(factory) as s:
        cards = list_policies(s, filters=chosen)
        every = list_policies(s)
        if error is None and not cards and chosen.department:
            error = _unknown_department(s, chosen.department)
    return page(
        request,
        "catalogue.html",
        {
            "cards": cards,
            "form": form,
            "error": error,
            "departments": departments(every),
            "districts": districts(),
            "modes": MODES,
            "total": len(every),
            "today": clock.today(),  # a policy past its valid_to reads as closed
        },
    )


def _unknown_department(s: Session, department: str) -> str | None:
    """Why a department filter shows nothing when no published policy is issued by it or
    its sub-units: the department list then showed "all" above an empty catalogue, as if
    the filter had been applied to every department."""
    if list_policies(s, filters=CatalogueFilter(department=department, subunits=True)):
        return None
    shown = "".join(c for c in department[:40] if c.isprintable())
    return f"no published policy is issued by department '{shown}'; choose one from the list"


def _enterprise_view(
    settings: Any, factory: Any, who: Any, policy_id: str, uscc: str | None
) -> dict[str, Any]:
    """The checklist, the enterprise's record of this policy and its grant (signed in)."""
    code = enterprise_of(who, uscc)
    actor = actor_of(who)
    view: dict[str, Any] = {"uscc": code, "trace": None, "record": None, "grant": None}
    # Whether the user is the enterprise ("you"), not its park operator (qa12).
    view["own"] = code == who.enterprise
    with reading(factory) as s:
        records = ledger.list_records(s, actor=actor, uscc=code, policy_id=policy_id, limit=1000)
        grants = ledger.list_grants(s, actor=actor, uscc=code, policy_id=policy_id, limit=1000)
        if records and records[-1].mode == "apply":  # the application's files (申报材料)
            view["attachments"] = list_attachments(s, actor=actor, record_id=records[-1].id)
        if records:  # read through list_records, which checked the actor
            view["commitments"] = commitments_made(s, records[-1].id)
    if records:
        record = records[-1]
        view["record"] = record
        view["grant"] = next(
            (g for g in grants if g.version == record.version and g.status not in NOT_COUNTED),
            None,
        )
    try:
        view["trace"] = explain_policy(
            settings, factory, actor=actor, uscc=code, policy_id=policy_id
        ).explanation
    except HuiqiError as exc:  # no profile data, or the enterprise is not in the snapshot
        view["trace_error"] = str(exc)
    return view


@router.get("/policies/{policy_id}")
def policy_page(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: Viewer,
    policy_id: str,
    uscc: str = "",
) -> Response:
    return page(
        request, "policy.html", _policy_context(request, settings, factory, who, policy_id, uscc)
    )


def _policy_context(
    request: Request, settings: Any, factory: Any, who: Any, policy_id: str, uscc: str
) -> dict[str, Any]:
    """The policy page's context: its card and, for an enterprise (or its park operator
    naming it), that enterprise's record, grant, files and checklist."""
    with reading(factory) as s:
        card = get_policy(s, policy_id)
    limit_mb = request.app.state.web.max_upload_bytes / 1024 / 1024
    context: dict[str, Any] = {
        "card": card,
        "mine": None,
        "max_upload_mb": f"{limit_mb:g}",
        "attach_errors": ATTACH_ERRORS,
        # The upload form's one-time key: sent twice (a double click, the browser resending
        # the POST), it stores one file, and the second answer shows that one.
        "attach_key": secrets.token_hex(16),
    }
    if who.portal and (who.enterprise or uscc):
        context["mine"] = _enterprise_view(settings, factory, who, policy_id, uscc or None)
    return context


@contextmanager
def _commitments_named(request: Request, what: str, verb: str) -> Iterator[None]:
    """A refusal for want of the enterprise's commitments (告知承诺) names them by their
    labels in the page's language, not by criterion ids."""
    try:
        yield
    except ClaimError as exc:
        if not exc.labels:
            raise
        zh = i18n.choose(request.cookies.get(i18n.COOKIE)).startswith("zh")
        named = ("、" if zh else "; ").join(pair[0 if zh else 1] for pair in exc.labels)
        raise type(exc)(
            f"{what} needs the enterprise's commitment (告知承诺) on: {named};"
            f" confirm them to {verb}",
            to_attest=exc.to_attest,
            labels=exc.labels,
        ) from None


@router.post("/policies/{policy_id}/submit")
def submit_page(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    policy_id: str,
    form: Form,
) -> Response:
    """Submit the pre-filled application (申报); submitting again changes nothing. A
    refusal the enterprise can act on (files missing, a commitment not given) is shown on
    the policy page above its button, with the attachments' form. Regression (qa4): it was
    the bare error page, saying to upload the files "on this page" with no way back."""
    record_id = form_id(form.get("record_id"))
    if record_id is None:
        raise HuiqiError("the form names no application; reload the page")
    try:
        with _commitments_named(request, "this application", "submit"):
            applications.submit(
                factory,
                record_id,
                actor=actor_of(who),
                attest=form.get("attest") == "yes",
                policy_id=policy_id,
            )
    except HuiqiError as exc:
        status = status_of(exc)
        if status not in (400, 409, 422):  # not found, not allowed: the error page
            raise
        uscc = form.get("uscc", "")
        context = _policy_context(request, settings, factory, who, policy_id, uscc)
        if context["mine"] is None:  # no enterprise's section to show it in
            raise
        context["submit_error"] = str(exc)
        here = page_url(f"/policies/{policy_id}", uscc=uscc or None)
        return page(request, "policy.html", context | {"here": here}, status_code=status)
    suffix = f"?uscc={form['uscc']}&" if form.get("uscc") else "?"
    return RedirectResponse(f"/policies/{policy_id}{suffix}submitted=1", status_code=303)


@router.post("/policies/{policy_id}/withdraw")
def withdraw_page(
    request: Request, factory: Factory, who: SignedIn, policy_id: str, form: Form
) -> Response:
    """Withdraw the submitted application before it is decided (an optional reason); the
    form is open again to submit. Sending it twice changes nothing more."""
    record_id = form_id(form.get("record_id"))
    if record_id is None:
        raise HuiqiError("the form names no application; reload the page")
    done = withdrawal.withdraw(
        factory,
        record_id,
        actor=actor_of(who),
        reason=form.get("reason") or None,
        policy_id=policy_id,
    )
    # A second press (a tab opened before the first) changed nothing, and says so.
    said = {withdrawal.ALREADY: "already", withdrawal.NOT_SUBMITTED: "none"}
    suffix = f"?uscc={form['uscc']}&" if form.get("uscc") else "?"
    return RedirectResponse(
        f"/policies/{policy_id}{suffix}withdrawn={said.get(done.message, '1')}", status_code=303
    )


@router.post("/policies/{policy_id}/claim")
def claim_page(
    request: Request, factory: Factory, who: SignedIn, policy_id: str, form: Form
) -> Response:
    """One click: claim, then show the policy page again (a reload repeats nothing)."""
    record_id = form_id(form.get("record_id"))
    if record_id is None:
        raise HuiqiError("the form names no offer; reload the page")
    with _commitments_named(request, "this offer", "claim"):
        result = claim(
            factory,
            actor=actor_of(who),
            entitlement_id=record_id,
            policy_id=policy_id,
            attest=form.get("attest") == "yes",
        )
    suffix = f"?uscc={form['uscc']}" if form.get("uscc") else ""
    status = "already" if result.already else ("claimed" if result.grant_id else "refused")
    sep = "&" if suffix else "?"
    return RedirectResponse(f"/policies/{policy_id}{suffix}{sep}claim={status}", status_code=303)
