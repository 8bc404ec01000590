"""Rating a grant, or a decision without a grant, 1–5 stars with a comment, from the
grants page. ``delivery.ratings.rate`` checks who may rate and that it is rated once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.accounts.access import require_role
from huiqi.accounts.roles import Role
from huiqi.catalogue.service import list_policies
from huiqi.db.engine import reading, transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.ratings import RatingError, RatingRow, list_ratings, rate
from huiqi.delivery.rows import GrantRow, RecordRow
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.web.deps import Factory, SignedIn, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.render import page, page_url
from huiqi.web.views.forms import Form, form_id

router = APIRouter(include_in_schema=False)
STARS = (5, 4, 3, 2, 1)
Id = Annotated[int, Path(ge=1, le=2**62)]


def _subject(
    factory: Factory, who: Who, kind: str, target: int, uscc: str | None
) -> tuple[GrantRow | RecordRow, RatingRow | None, Any]:
    """The grant or decided record to rate, as the actor may see it, its rating if any,
    and its policy's title (zh/en), None for a policy no longer in the catalogue."""
    actor = actor_of(who)
    # Only those who may rate see the form (an officer was shown one it could not send).
    require_role(actor, "rate a grant or a decision", Role.ENTERPRISE, Role.PARK_OPERATOR)
    code = (uscc or "").strip().upper() or who.enterprise
    with reading(factory) as s:
        found: GrantRow | RecordRow | None
        if kind == "grant":
            rows = ledger.list_grants(s, actor=actor, uscc=code, after_id=target - 1, limit=1)
            found = next((g for g in rows if g.id == target), None)
        else:
            records = ledger.list_records(s, actor=actor, uscc=code, after_id=target - 1, limit=1)
            found = next((r for r in records if r.id == target), None)
        if found is None:
            raise NotFoundError(
                f"no {'grant' if kind == 'grant' else 'decision'} {target} of yours"
            )
        ratings = list_ratings(s, actor=actor, uscc=found.uscc, limit=10_000)
        title = next((c.title for c in list_policies(s) if c.policy_id == found.policy_id), None)
    key = "grant_id" if kind == "grant" else "entitlement_id"
    return found, next((r for r in ratings if getattr(r, key) == target), None), title


def _form(
    request: Request,
    kind: str,
    subject: GrantRow | RecordRow,
    rating: RatingRow | None,
    title: Any,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "kind": kind,
        "subject": subject,
        "rating": rating,
        "title": title,
        "form": form,
        "errors": errors,
        "stars": STARS,
        # The form's page, where a refused POST's language link comes back to (/rate
        # answers POST only).
        "here": page_url(f"/{kind}s/{subject.id}/rate", uscc=form.get("uscc")),
    }
    return page(request, "rate.html", context, status_code=status_code)


@router.get("/grants/{grant_id}/rate")
def rate_grant_form(
    request: Request, factory: Factory, who: SignedIn, grant_id: Id, uscc: str = ""
) -> Response:
    subject, rating, title = _subject(factory, who, "grant", grant_id, uscc)
    return _form(request, "grant", subject, rating, title, {"uscc": uscc[:18]}, {})


@router.get("/records/{record_id}/rate")
def rate_record_form(
    request: Request, factory: Factory, who: SignedIn, record_id: Id, uscc: str = ""
) -> Response:
    subject, rating, title = _subject(factory, who, "record", record_id, uscc)
    return _form(request, "record", subject, rating, title, {"uscc": uscc[:18]}, {})


@router.post("/rate")
def rate_submit(request: Request, factory: Factory, who: SignedIn, form: Form) -> Response:
    """Record the rating, or show the form again with the refusal next to its field."""
    kind = form.get("kind", "")
    target = form_id(form.get("target"))
    # A kind the form never sends is a broken form (it was rated as a decision, and the
    # refusal was an access one, 403).
    if target is None or kind not in ("grant", "record"):
        raise HuiqiError(N_("the form names nothing to rate; reload the page"))
    errors: dict[str, str] = {}
    status = 400
    stars = int(form["stars"]) if form.get("stars", "") in {"1", "2", "3", "4", "5"} else None
    if stars is None:
        errors["stars"] = N_("Choose from 1 to 5 stars.")
    else:
        try:
            with transaction(factory) as s:
                rate(
                    s,
                    actor=actor_of(who),
                    stars=stars,
                    comment=form.get("comment") or None,
                    grant_id=target if kind == "grant" else None,
                    entitlement_id=target if kind == "record" else None,
                )
        except RatingError as exc:
            errors["comment" if "comment" in str(exc) else "stars"] = str(exc)
            status = status_of(exc)
    if errors:
        subject, rating, title = _subject(factory, who, kind, target, form.get("uscc"))
        shown = {k: form.get(k, "") for k in ("uscc", "stars", "comment")}
        return _form(request, kind, subject, rating, title, shown, errors, status_code=status)
    suffix = f"uscc={form['uscc']}&" if form.get("uscc") else ""
    return RedirectResponse(f"/grants?{suffix}rated={kind}-{target}", status_code=303)
