"""The officer console's review queues: 申报 applications to approve or reject with a
reason the enterprise sees, data-correction requests to accept or reject, and the records
flagged for review after a data change, to keep or withdraw. Each list and decision is one service call
(``delivery.service``, ``delivery.applications``, ``delivery.corrections``,\n``delivery.review``), which checks
the officer's role and policy scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.catalogue.service import list_policies
from huiqi.db.engine import reading, transaction
from huiqi.delivery import applications
from huiqi.delivery import service as ledger
from huiqi.delivery.attachments import READERS, attachments_by_record
from huiqi.delivery.claims import ClaimError
from huiqi.delivery.corrections import CorrectionError, decide_correction, list_corrections
from huiqi.delivery.review import ReviewError, resolve_flag
from huiqi.web.deps import Factory, SignedIn, Who, actor_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
QUEUE = 500  # one screenful of a queue; the oldest first


@router.get("/console")
def console_index(request: Request, who: SignedIn) -> Response:
    return page(request, "console.html", {})


def _applications_page(
    request: Request,
    factory: Factory,
    who: Who,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        rows = ledger.list_applications(s, actor=actor_of(who), status="submitted", limit=QUEUE)
        actor = actor_of(who)
        files = (  # finance officers see the queue, not the enterprises' files
            attachments_by_record(s, actor=actor, record_ids=[r.record_id for r in rows])
            if actor.has(*READERS)
            else {}
        )
        titles = {c.policy_id: c.title for c in list_policies(s)}
    context: dict[str, Any] = {
        "rows": rows,
        "files": files,
        "titles": titles,
        "errors": errors or {},
        "reasons": reasons or {},
        "done": request.query_params.get("done"),
        "done_id": request.query_params.get("id"),
    }
    return page(request, "console_applications.html", context, status_code=status_code)


@router.get("/console/applications")
def applications_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    return _applications_page(request, factory, who)


@router.post("/console/applications/{record_id}/approve")
def approve_application(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, form: Form
) -> Response:
    try:
        decision = applications.approve(factory, record_id, actor=actor_of(who))
    except ClaimError as exc:
        return _applications_page(request, factory, who, {record_id: str(exc)}, status_code=409)
    done = "approved" if decision.grant_id else "not_granted"
    return RedirectResponse(f"/console/applications?done={done}&id={record_id}", status_code=303)


@router.post("/console/applications/{record_id}/reject")
def reject_application(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, form: Form
) -> Response:
    reason = form.get("reason", "").strip()
    if not reason:
        error = {record_id: N_("Give the reason the enterprise will read.")}
        return _applications_page(request, factory, who, error, status_code=400)
    try:
        applications.reject(factory, record_id, actor=actor_of(who), reason=reason)
    except ClaimError as exc:
        keep = {record_id: reason}
        return _applications_page(
            request, factory, who, {record_id: str(exc)}, keep, status_code=409
        )
    return RedirectResponse(f"/console/applications?done=rejected&id={record_id}", status_code=303)


def _corrections_page(
    request: Request,
    factory: Factory,
    who: Who,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        rows = list_corrections(s, actor=actor_of(who), status="open", limit=QUEUE)
    context: dict[str, Any] = {
        "rows": rows,
        "errors": errors or {},
        "reasons": reasons or {},
        "done": request.query_params.get("done"),
        "done_id": request.query_params.get("id"),
    }
    return page(request, "console_corrections.html", context, status_code=status_code)


@router.get("/console/corrections")
def corrections_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    return _corrections_page(request, factory, who)


@router.post("/console/corrections/{request_id}/decide")
def decide(
    request: Request, factory: Factory, who: SignedIn, request_id: Id, form: Form
) -> Response:
    accept = form.get("decision") == "accept"
    reason = form.get("reason", "").strip()
    error: str | None = None
    if form.get("decision") not in ("accept", "reject"):
        error = N_("Choose to accept or to reject the request.")
    elif not reason:
        error = N_("Give the reason the enterprise will read.")
    else:
        try:
            with transaction(factory) as s:
                decide_correction(
                    s, actor=actor_of(who), request_id=request_id, accept=accept, reason=reason
                )
        except CorrectionError as exc:
            error = str(exc)
    if error is not None:
        return _corrections_page(
            request, factory, who, {request_id: error}, {request_id: reason}, status_code=400
        )
    done = "accepted" if accept else "rejected"
    return RedirectResponse(f"/console/corrections?done={done}&id={request_id}", status_code=303)


def _flagged_page(
    request: Request,
    factory: Factory,
    who: Who,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        rows = ledger.list_records(s, actor=actor_of(who), flagged=True, limit=QUEUE)
    context: dict[str, Any] = {
        "rows": rows,
        "errors": errors or {},
        "reasons": reasons or {},
        "done": request.query_params.get("done"),
        "done_id": request.query_params.get("id"),
    }
    return page(request, "console_flagged.html", context, status_code=status_code)


@router.get("/console/flagged")
def flagged_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    """Records flagged for review after a data change (the enterprise kept what it had)."""
    return _flagged_page(request, factory, who)


@router.post("/console/flagged/{record_id}/review")
def review_flag(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, form: Form
) -> Response:
    """Keep or withdraw one flagged record, with a reason (``delivery.review``)."""
    decision = form.get("decision", "")
    reason = form.get("reason", "").strip()
    error: str | None = None
    if decision not in ("keep", "withdraw"):
        error = N_("Choose to keep or to withdraw it.")
    elif not reason:
        error = N_("Give the reason for this decision.")
    else:
        try:
            resolve_flag(factory, record_id, actor=actor_of(who), outcome=decision, reason=reason)
        except ReviewError as exc:
            error = str(exc)
    if error is not None:
        return _flagged_page(
            request, factory, who, {record_id: error}, {record_id: reason}, status_code=400
        )
    done = "kept" if decision == "keep" else "withdrawn"
    return RedirectResponse(f"/console/flagged?done={done}&id={record_id}", status_code=303)
