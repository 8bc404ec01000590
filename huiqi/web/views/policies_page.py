"""The officer console's policies: every policy in the officer's scope with its versions
and status, the draft editor (lint and test cases on every save, errors by line and
column), publishing a draft and delivering a published version (background jobs:
``views.jobs_page``), and retiring a version.

Each page and action is one service call (``delivery.drafts``, ``delivery.versions``),
which checks the officer's role and policy scope."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.accounts.access import AccessDenied
from huiqi.catalogue.service import list_policies
from huiqi.db.engine import reading, transaction
from huiqi.delivery import drafts, policy_lines
from huiqi.delivery.freetext import is_blank
from huiqi.delivery.publishjob import start_deliver, start_publish
from huiqi.delivery.versions import retire_version
from huiqi.errors import HuiqiError, PolicyError
from huiqi.jobs.service import JobBusy, recent_jobs
from huiqi.web.deps import AppSettings, Factory, SignedIn, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
POLICY_ID = re.compile(r"^[a-z][a-z0-9_-]*$")  # as policies.model says
PolicyId = Annotated[str, Path(min_length=1, max_length=120, pattern=POLICY_ID.pattern)]
Id = Annotated[int, Path(ge=1, le=2**62)]


def _list_page(
    request: Request,
    factory: Factory,
    who: Who,
    errors: dict[int, str] | None = None,
    status_code: int = 200,
    new_id: str | None = None,
    deliver_error: str | None = None,
) -> Response:
    with reading(factory) as s:
        lines = policy_lines.list_policy_lines(s, actor=actor_of(who))
        jobs = recent_jobs(s, actor=actor_of(who), limit=10)
        # Titles and departments in the page's language (a line keeps the Chinese ones);
        # a policy not in the catalogue (retired, or a draft only) keeps its Chinese title.
        cards = {c.policy_id: c for c in list_policies(s)}
    context: dict[str, Any] = {
        "lines": lines,
        "cards": cards,
        "jobs": jobs,
        "errors": errors or {},
        "done": request.query_params.get("done"),
        "done_id": request.query_params.get("id", "")[:120],
        "deliver_error": deliver_error,  # "deliver now" refused: said above the table
        "new_id": new_id,  # an id refused for a new policy, shown again with the rule
        # A reviewer lists the policies of its scope, but starts none (the form is an
        # author's or publisher's).
        "may_start": any(g.role in drafts.EDITORS for g in actor_of(who).grants),
    }
    return page(request, "console_policies.html", context, status_code=status_code)


@router.get("/console/policies")
def policies_list(request: Request, factory: Factory, who: SignedIn) -> Response:
    """Every policy in the officer's scope: versions, status, mode, validity, budget used."""
    return _list_page(request, factory, who)


@router.get("/console/policies/new")
def new_policy(request: Request, factory: Factory, who: SignedIn, id: str = "") -> Response:
    """The editor of a new policy, by the id typed on the list; an id that cannot be one
    is said next to the field (it sent the officer back to the list without a word)."""
    if not id:
        return RedirectResponse("/console/policies", status_code=303)
    if not POLICY_ID.match(id) or len(id) > 120:
        return _list_page(request, factory, who, status_code=400, new_id=id[:200])
    return RedirectResponse(f"/console/policies/{id}/draft", status_code=303)


@router.post("/console/policies/versions/{version_id}/retire")
def retire(
    request: Request, factory: Factory, who: SignedIn, version_id: Id, form: Form
) -> Response:
    reason = form.get("reason", "").strip()
    if is_blank(reason):
        error = {version_id: N_("Give the reason for retiring this version.")}
        return _list_page(request, factory, who, error, status_code=400)
    try:
        with transaction(factory) as s:
            pv = retire_version(
                s, actor=actor_of(who), version_id=version_id, reason=reason
            ).version
            name = f"{pv.policy_id} v{pv.version}"
    except PolicyError as exc:
        return _list_page(request, factory, who, {version_id: str(exc)}, status_code=status_of(exc))
    return RedirectResponse(f"/console/policies?done=retired&id={quote(name)}", status_code=303)


@router.post("/console/policies/versions/{version_id}/deliver")
def deliver_now(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    version_id: Id,
    form: Form,
) -> Response:
    """Deliver a published version now, as ``huiqi deliver`` does, in the background: the
    job's page follows it and shows its summary; a refusal (not a publisher of the
    policy's scope, a job running on it) is said beside the version."""
    try:
        job_id = start_deliver(settings, factory, actor=actor_of(who), version_id=version_id)
    except HuiqiError as exc:
        return _list_page(request, factory, who, status_code=status_of(exc), deliver_error=str(exc))
    return RedirectResponse(f"/console/jobs/{job_id}", status_code=303)


def _editor(
    request: Request,
    factory: Factory,
    who: Who,
    policy_id: str,
    *,
    text: str | None = None,
    error: str | None = None,
    busy: int | None = None,
    status_code: int = 200,
) -> Response:
    with reading(factory) as s:
        view = drafts.open_draft(s, actor=actor_of(who), policy_id=policy_id)
    lint = view.lint if text is None else None
    problems = lint["problems"] if lint else []
    context: dict[str, Any] = {
        "view": view,
        "text": view.text if text is None else text,
        "lint": lint,
        "problems": problems,
        "has_errors": any(p["severity"] == "error" for p in problems) or bool(error),
        "error": error,
        "busy_job": busy,
        "done": request.query_params.get("done"),
    }
    return page(request, "console_draft.html", context, status_code=status_code)


@router.get("/console/policies/{policy_id}/draft")
def draft_editor(
    request: Request, factory: Factory, who: SignedIn, policy_id: PolicyId
) -> Response:
    """The draft's YAML with the lint and test results of its last save (or the newest
    published text, when no draft is started: the first save starts it)."""
    return _editor(request, factory, who, policy_id)


@router.post("/console/policies/{policy_id}/draft")
def save(
    request: Request, factory: Factory, who: SignedIn, policy_id: PolicyId, form: Form
) -> Response:
    text = form.get("text", "")
    if not text.strip():
        error = N_("Write the policy (YAML) before saving.")
        return _editor(request, factory, who, policy_id, text=text, error=error, status_code=400)
    try:
        with transaction(factory) as s:
            drafts.save_draft(s, actor=actor_of(who), policy_id=policy_id, text=text)
    except (AccessDenied, drafts.DraftError) as exc:
        # A new policy's text whose region or department is not the officer's (403) is
        # said next to the text, which is kept to be corrected, as a refused draft is (a
        # 403 page lost it, qa8). Where the policy itself is out of scope, the editor
        # refuses again, as a 403 page.
        return _editor(
            request,
            factory,
            who,
            policy_id,
            text=text[: drafts.MAX_TEXT],
            error=str(exc),
            status_code=403 if isinstance(exc, AccessDenied) else 400,
        )
    return RedirectResponse(f"/console/policies/{policy_id}/draft?done=saved", status_code=303)


@router.post("/console/policies/{policy_id}/draft/delete")
def delete(
    request: Request, factory: Factory, who: SignedIn, policy_id: PolicyId, form: Form
) -> Response:
    with transaction(factory) as s:
        drafts.delete_draft(s, actor=actor_of(who), policy_id=policy_id)
    return RedirectResponse(f"/console/policies?done=deleted&id={policy_id}", status_code=303)


@router.post("/console/policies/{policy_id}/draft/publish")
def publish(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    policy_id: PolicyId,
    form: Form,
) -> Response:
    """Start publishing the draft as a background job, and show the job's page."""
    try:
        job_id = start_publish(settings, factory, actor=actor_of(who), policy_id=policy_id)
    except JobBusy as exc:
        return _editor(
            request, factory, who, policy_id, error=str(exc), busy=exc.job_id, status_code=409
        )
    except (drafts.DraftError, PolicyError) as exc:
        return _editor(request, factory, who, policy_id, error=str(exc), status_code=status_of(exc))
    return RedirectResponse(f"/console/jobs/{job_id}", status_code=303)
