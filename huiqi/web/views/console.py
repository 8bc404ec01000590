"""The officer console's review queues: 申报 applications to approve or reject with a
reason the enterprise sees, data-correction requests to accept or reject, and the records
flagged for review after a data change, to keep or withdraw (each a :class:`Queue`). Each
list and decision is one service call (``delivery.service``, ``delivery.applications``,
``delivery.corrections``, ``delivery.review``), which checks the officer's role and policy
scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role
from huiqi.catalogue.service import list_policies
from huiqi.db.engine import transaction
from huiqi.delivery import applications
from huiqi.delivery import service as ledger
from huiqi.delivery.attachments import READERS, attachments_by_record
from huiqi.delivery.claims import ClaimError, criterion_labels
from huiqi.delivery.correction_queue import corrections
from huiqi.delivery.corrections import (
    CorrectionError,
    decide_correction,
    list_corrections,
    require_steward,
)
from huiqi.delivery.freetext import is_blank
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.review import ReviewError, require_reviewer, resolve_flag
from huiqi.delivery.rows import ApplicationRow
from huiqi.delivery.topup_queue import top_ups
from huiqi.web.deps import Factory, SignedIn, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form
from huiqi.web.views.queues import Queue

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
QUEUE = 500  # one screenful of a queue; the oldest first


@router.get("/console")
def console_index(request: Request, who: SignedIn) -> Response:
    return page(request, "console.html", {})


def _applications(s: Session, actor: Actor) -> dict[str, Any]:
    rows = ledger.list_applications(s, actor=actor, status="submitted", limit=QUEUE)
    files = (  # finance officers see the queue, not the enterprises' files
        attachments_by_record(s, actor=actor, record_ids=[r.record_id for r in rows])
        if actor.has(*READERS)
        else {}
    )
    titles = {c.policy_id: c.title for c in list_policies(s)}
    return {
        "rows": rows,
        "files": files,
        "titles": titles,
        "commitments": _commitments(s, rows),
        # Finance and admins read the queue; only reviewers get the decision forms.
        "can_decide": actor.has(Role.POLICY_REVIEWER),
    }


def _commitments(s: Session, rows: list[ApplicationRow]) -> dict[int, list[dict[str, str]]]:
    """Each application's commitments (告知承诺) by their labels ({"zh", "en"}), not by
    criterion ids: the version's text holds the labels, read once per version."""
    versions: dict[tuple[str, int], PolicyVersion | None] = {}
    named: dict[int, list[dict[str, str]]] = {}
    for r in rows:
        if not r.to_attest:
            continue
        key = (r.policy_id, r.version)
        if key not in versions:
            versions[key] = s.scalar(
                select(PolicyVersion).where(
                    PolicyVersion.policy_id == r.policy_id, PolicyVersion.version == r.version
                )
            )
        pv = versions[key]
        pairs = criterion_labels(pv, r.to_attest) if pv else [(i, i) for i in r.to_attest]
        named[r.record_id] = [{"zh": zh, "en": en} for zh, en in pairs]
    return named


APPLICATIONS = Queue("console_applications.html", "/console/applications", _applications)


def _corrections(s: Session, actor: Actor) -> dict[str, Any]:
    from huiqi.profiles.dictionary import load_dictionary

    rows = list_corrections(s, actor=actor, status="open", limit=QUEUE)
    d = load_dictionary()
    return {
        "rows": rows,
        # The registry by its name (统计局), not its code ('statistics').
        "registries": d.registries,
        # Each field's label and unit, so that its values read as everywhere else in the
        # console (3,000,000.00 元, 本市户籍, 是), not as their stored JSON.
        "fields": {r.field: f for r in rows if (f := d.get(r.field)) is not None},
    }


CORRECTIONS = Queue("console_corrections.html", "/console/corrections", _corrections)


def _flagged(s: Session, actor: Actor) -> dict[str, Any]:
    rows = ledger.list_records(s, actor=actor, flagged=True, limit=QUEUE)
    # Finance reads the queue (whose grants wait out of its exports); only a policy
    # reviewer decides, so only a reviewer is offered the form, and the difference a
    # top-up would pay (就高不重复 behind a grant already sent for payment).
    can_decide = actor.has(Role.POLICY_REVIEWER)
    queue = [(r.id, r.status) for r in rows]
    return {
        "rows": rows,
        # A record holds its policy's Chinese title only: the catalogue's has both.
        "titles": {c.policy_id: c.title for c in list_policies(s)},
        "can_decide": can_decide,
        "top_ups": top_ups(s, queue) if can_decide else {},
        # A newer version's amount (huiqi.delivery.version_fix): what "correct" would grant,
        # or that it cannot (less than was already sent). Explained to readers too.
        "corrections": {
            record_id: {
                "due_fen": c.due_fen,
                "given_fen": c.given_fen,
                "grants_fen": c.grants_fen,
                "sent": c.sent,
                "refused": c.refused,
                "earlier": c.earlier,
            }
            for record_id, c in corrections(s, queue).items()
        },
    }


FLAGGED = Queue("console_flagged.html", "/console/flagged", _flagged)


@router.get("/console/applications")
def applications_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    return APPLICATIONS.page(request, factory, who)


@router.post("/console/applications/{record_id}/approve")
def approve_application(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, form: Form
) -> Response:
    try:
        decision = applications.approve(factory, record_id, actor=actor_of(who))
    except ClaimError as exc:
        return APPLICATIONS.page(
            request, factory, who, {record_id: str(exc)}, status_code=status_of(exc)
        )
    return APPLICATIONS.done("approved" if decision.grant_id else "not_granted", record_id)


@router.post("/console/applications/{record_id}/reject")
def reject_application(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, form: Form
) -> Response:
    applications.require_decider(actor_of(who))  # 403 for the role before 400 for the form
    reason = form.get("reason", "").strip()
    if is_blank(reason):  # a zero-width space too, which strip() keeps
        error = {record_id: N_("Give the reason the enterprise will read.")}
        return APPLICATIONS.page(request, factory, who, error, status_code=400)
    try:
        applications.reject(factory, record_id, actor=actor_of(who), reason=reason)
    except ClaimError as exc:
        keep = {record_id: reason}
        return APPLICATIONS.page(request, factory, who, {record_id: str(exc)}, keep, status_of(exc))
    return APPLICATIONS.done("rejected", record_id)


@router.get("/console/corrections")
def corrections_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    return CORRECTIONS.page(request, factory, who)


@router.post("/console/corrections/{request_id}/decide")
def decide(
    request: Request, factory: Factory, who: SignedIn, request_id: Id, form: Form
) -> Response:
    def act(actor: Actor, decision: str, reason: str) -> None:
        with transaction(factory) as s:
            accept = decision == "accept"
            decide_correction(s, actor=actor, request_id=request_id, accept=accept, reason=reason)

    return CORRECTIONS.decide(
        request,
        factory,
        who,
        request_id,
        form,
        choices={"accept": "accepted", "reject": "rejected"},
        unchosen=N_("Choose to accept or to reject the request."),
        no_reason=N_("Give the reason the enterprise will read."),
        act=act,
        refused=(CorrectionError,),
        allowed=require_steward,
    )


@router.get("/console/flagged")
def flagged_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    """Records flagged for review after a data change (the enterprise kept what it had)."""
    return FLAGGED.page(request, factory, who)


@router.post("/console/flagged/{record_id}/review")
def review_flag(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, form: Form
) -> Response:
    """Keep, withdraw, top up or correct one flagged record, with a reason
    (``delivery.review``)."""
    return FLAGGED.decide(
        request,
        factory,
        who,
        record_id,
        form,
        choices={
            "keep": "kept",
            "withdraw": "withdrawn",
            "top-up": "topped_up",
            "correct": "corrected",
        },
        unchosen=N_(
            "Choose to keep it, to withdraw it or, where offered, to top it up or correct it."
        ),
        no_reason=N_("Give the reason for this decision."),
        act=lambda actor, decision, reason: resolve_flag(
            factory, record_id, actor=actor, outcome=decision, reason=reason
        ),
        refused=(ReviewError,),
        allowed=require_reviewer,
    )
