"""The officer console's review queue of flagged complainants (职业举报): each with its
score, the reasons for it, the shared attributes (masked) and near-identical texts, and a
form to decide — confirmed professional or not — with a reason. One service call each
(:mod:`huiqi.complaints.service`), which checks the complaint_officer role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.complaints.service import ComplaintError, decide_complainant, review_queue
from huiqi.db.engine import reading, transaction
from huiqi.errors import NotFoundError
from huiqi.web.deps import Factory, SignedIn, Who, actor_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
QUEUE = 200


def _page(
    request: Request,
    factory: Factory,
    who: Who,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        rows = review_queue(s, actor=actor_of(who), limit=QUEUE)
    context: dict[str, Any] = {
        "rows": rows,
        "errors": errors or {},
        "reasons": reasons or {},
        "done": request.query_params.get("done"),
        "done_id": request.query_params.get("id"),
    }
    return page(request, "console_complaints.html", context, status_code=status_code)


@router.get("/console/complaints")
def complaints_queue(request: Request, factory: Factory, who: SignedIn) -> Response:
    return _page(request, factory, who)


@router.post("/console/complaints/{complainant_id}/decide")
def decide(
    request: Request, factory: Factory, who: SignedIn, complainant_id: Id, form: Form
) -> Response:
    choice = form.get("decision")
    reason = form.get("reason", "").strip()
    error: str | None = None
    if choice not in ("professional", "not_professional"):
        error = N_("Choose: confirmed professional complainant, or not.")
    elif not reason:
        error = N_("Give the reason for your decision.")
    else:
        try:
            with transaction(factory) as s:
                decide_complainant(
                    s,
                    actor=actor_of(who),
                    complainant_id=complainant_id,
                    professional=choice == "professional",
                    reason=reason,
                )
        except (ComplaintError, NotFoundError) as exc:
            error = str(exc)
    if error is not None:
        return _page(request, factory, who, {complainant_id: error}, {complainant_id: reason}, 400)
    return RedirectResponse(
        f"/console/complaints?done={choice}&id={complainant_id}", status_code=303
    )
