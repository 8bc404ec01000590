"""``/api/v1/console``: the officer console's policies as JSON, for the pages' scripts and
other government systems: policies with their versions, a policy's draft (read, save with
its lint and test results, delete, publish as a background job), simulating a draft before
publishing and retiring a version. Each endpoint calls one service function
(``delivery.drafts``, ``delivery.versions``, ``matching.simulate``), which checks access."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.exceptions import RequestValidationError

from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.db.engine import reading, transaction
from huiqi.delivery import drafts, policy_lines
from huiqi.delivery.publishjob import start_publish
from huiqi.delivery.versions import retire_version
from huiqi.jobs.service import get_job
from huiqi.matching.simulate import SIMULATORS, saved_text, simulate
from huiqi.web.api.fields import refusing
from huiqi.web.api.jobs import JobPublic
from huiqi.web.api.policy_schemas import (
    DraftPublic,
    DraftSave,
    PolicyLinePublic,
    RetireRequest,
    SimulateRequest,
    SimulationPublic,
    VersionPublic,
)
from huiqi.web.api.v1 import ERRORS
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, actor_of, role_gate

router = APIRouter(prefix="/api/v1/console", responses=ERRORS, tags=["console"])
PolicyId = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[a-z][a-z0-9_-]*$")]
Id = Annotated[int, Path(ge=1, le=2**62)]
# A draft is read, saved and deleted by its authors and publishers (huiqi.delivery.drafts).
EDITORS = role_gate("edit policy drafts", *sorted(drafts.EDITORS))


@router.get(
    "/policies", dependencies=[role_gate("list policies and drafts", *sorted(POLICY_ROLES))]
)
def policies(factory: Factory, who: SignedIn) -> list[PolicyLinePublic]:
    """Every policy in your policy scope: versions (newest first) with their status
    (published, retired), department, delivery mode, validity, budget used, and its draft."""
    with reading(factory) as s:
        return [
            PolicyLinePublic.of(line)
            for line in policy_lines.list_policy_lines(s, actor=actor_of(who))
        ]


def _one_source(body: SimulateRequest) -> None:
    """``text`` or ``policy_id``, not both, not neither: else a 422 naming the field."""
    field, why = None, ""
    if (body.text is None) == (body.policy_id is None):
        field = "text"
        why = "give the policy's YAML as 'text', or a policy kept here as 'policy_id', not both"
    elif body.version is not None and body.policy_id is None:
        field, why = "version", "'version' names a published version of 'policy_id'; give both"
    if field is not None:
        error = {"type": "value_error", "loc": ("body", field), "msg": why, "input": None}
        raise RequestValidationError([error])


@router.post(
    "/policies/simulate", dependencies=[role_gate("simulate policies", *sorted(SIMULATORS))]
)
def simulate_policy(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: ApiWriter,
    body: Annotated[SimulateRequest, Body()],
) -> SimulationPublic:
    """Simulate a draft before publishing (policy authors and publishers whose scope covers
    it): its YAML (``text``) or a policy kept here (``policy_id``: its draft, else its
    newest published version; ``version``: that published version) over every enterprise
    of the latest snapshot (``snapshot_id``: another). What the console's simulation page
    shows; nothing is stored. A text that does not load or compile is a 400 naming
    ``text``, with its line and column."""
    _one_source(body)
    actor = actor_of(who)
    with reading(factory) as s, refusing("text" if body.text is not None else "policy_id"):
        text, filename = body.text, "draft.yaml"
        if body.policy_id is not None:
            text, filename = saved_text(
                s, actor=actor, policy_id=body.policy_id, version=body.version
            )
        assert text is not None
        result = simulate(
            settings,
            s,
            actor=actor,
            text=text,
            filename=filename,
            snapshot_id=body.snapshot_id,
            sample=body.sample,
            held=request.app.state.held_frame,
        )
    return SimulationPublic.of(result)


@router.get("/policies/{policy_id}/draft", dependencies=[EDITORS])
def get_draft(factory: Factory, who: SignedIn, policy_id: PolicyId) -> DraftPublic:
    """A policy's draft with the lint and test results of its last save (``saved`` false:
    no draft yet, the text is the newest published version's)."""
    with reading(factory) as s:
        return DraftPublic.of(drafts.open_draft(s, actor=actor_of(who), policy_id=policy_id))


@router.put("/policies/{policy_id}/draft", dependencies=[EDITORS])
def save_draft(
    factory: Factory, who: ApiWriter, policy_id: PolicyId, body: Annotated[DraftSave, Body()]
) -> DraftPublic:
    """Save a policy's draft (starting it if needed): it is linted and its test cases are
    run; the results come back (a text that does not load is saved and says why, by line)."""
    actor = actor_of(who)
    with transaction(factory) as s:
        drafts.save_draft(s, actor=actor, policy_id=policy_id, text=body.text)
    with reading(factory) as s:
        return DraftPublic.of(drafts.open_draft(s, actor=actor, policy_id=policy_id))


@router.delete("/policies/{policy_id}/draft", dependencies=[EDITORS])
def delete_draft(factory: Factory, who: ApiWriter, policy_id: PolicyId) -> DraftPublic:
    """Discard a policy's draft; what comes back is the policy as published."""
    actor = actor_of(who)
    with transaction(factory) as s:
        drafts.delete_draft(s, actor=actor, policy_id=policy_id)
    with reading(factory) as s:
        return DraftPublic.of(drafts.open_draft(s, actor=actor, policy_id=policy_id))


@router.post(
    "/policies/{policy_id}/draft/publish",
    status_code=202,
    dependencies=[role_gate("publish policies", Role.POLICY_PUBLISHER)],
)
def publish_draft(
    settings: AppSettings,
    factory: Factory,
    who: ApiWriter,
    policy_id: PolicyId,
    response: Response,
) -> JobPublic:
    """Start publishing a draft whose lint and test cases pass and delivering it to the
    eligible enterprises (a policy publisher of its scope), as a background job: the job
    comes back at once (202; follow it at ``/api/v1/console/jobs/{id}``). A failing draft
    is refused (409: change it first), and so is a second publish while one is running
    (409), saying why."""
    actor = actor_of(who)
    job_id = start_publish(settings, factory, actor=actor, policy_id=policy_id)
    response.headers["Location"] = f"/api/v1/console/jobs/{job_id}"
    with reading(factory) as s:
        return JobPublic.of(get_job(s, actor=actor, job_id=job_id))


@router.post(
    "/versions/{version_id}/retire",
    dependencies=[role_gate("retire policy versions", Role.POLICY_PUBLISHER)],
)
def retire(
    factory: Factory, who: ApiWriter, version_id: Id, body: Annotated[RetireRequest, Body()]
) -> VersionPublic:
    """Retire a published version (a policy publisher of its scope), with the reason."""
    with transaction(factory) as s:
        pv = retire_version(
            s, actor=actor_of(who), version_id=version_id, reason=body.reason
        ).version
        return VersionPublic.of(pv)
