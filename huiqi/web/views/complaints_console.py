"""The officer console's review queue of flagged complainants (职业举报): each with its
score, the reasons for it, the shared attributes (masked) and near-identical texts, and a
form to decide — confirmed professional or not — with a reason; and a button that runs the
detection over every complaint held (after an import on the console's page, without it the
queue stayed empty: qa4). One service call each (:mod:`huiqi.complaints.service`), which
checks the complaint_officer role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.accounts.access import Actor
from huiqi.complaints.service import (
    ComplaintError,
    complaint_stats,
    decide_complainant,
    detect_complaints,
    review_queue,
)
from huiqi.db.engine import transaction
from huiqi.errors import NotFoundError
from huiqi.web.deps import Factory, SignedIn, actor_of
from huiqi.web.i18n import N_
from huiqi.web.views.forms import Form
from huiqi.web.views.queues import Queue

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
QUEUE = 200


# What two complainants share (huiqi.complaints.graph.LINKS), by name on the page.
LINK_NAMES = {"phone": N_("phone"), "address": N_("address"), "bank": N_("bank account")}

COMPLAINANTS = Queue(
    "console_complaints.html",
    "/console/complaints",
    lambda s, actor: {
        "rows": review_queue(s, actor=actor, limit=QUEUE),
        "stats": complaint_stats(s, actor=actor),
        "link_names": LINK_NAMES,
    },
)


@router.get("/console/complaints")
def complaints_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    return COMPLAINANTS.page(request, factory, who)


@router.post("/console/complaints/detect")
def detect(factory: Factory, who: SignedIn, form: Form) -> Response:
    """Score every complainant held (the service checks the role); the queue then shows
    the run's flags."""
    with transaction(factory) as s:
        run = detect_complaints(s, actor=actor_of(who))
    return RedirectResponse(f"/console/complaints?done=detected&id={run.run_id}", status_code=303)


@router.post("/console/complaints/{complainant_id}/decide")
def decide(
    request: Request, factory: Factory, who: SignedIn, complainant_id: Id, form: Form
) -> Response:
    def act(actor: Actor, decision: str, reason: str) -> None:
        with transaction(factory) as s:
            decide_complainant(
                s,
                actor=actor,
                complainant_id=complainant_id,
                professional=decision == "professional",
                reason=reason,
            )

    return COMPLAINANTS.decide(
        request,
        factory,
        who,
        complainant_id,
        form,
        choices={"professional": "professional", "not_professional": "not_professional"},
        unchosen=N_("Choose: confirmed professional complainant, or not."),
        no_reason=N_("Give the reason for your decision."),
        act=act,
        refused=(ComplaintError, NotFoundError),
    )
