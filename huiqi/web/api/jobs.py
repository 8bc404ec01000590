"""``/api/v1/console/jobs``: a background job's progress as JSON (publishing a policy
from the console runs as one), for the policy officers whose scope covers its policy.
Any worker process answers: the job's state is in the database (``huiqi.jobs``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from huiqi.accounts.roles import POLICY_ROLES
from huiqi.db.engine import reading
from huiqi.delivery.publishjob import resume_job
from huiqi.jobs.service import JobView, get_job
from huiqi.web.api.amounts import yuan_of
from huiqi.web.api.times import Utc
from huiqi.web.api.v1 import ERRORS
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, actor_of, role_gate

router = APIRouter(prefix="/api/v1/console", responses=ERRORS, tags=["console"])
Id = Annotated[int, Path(ge=1, le=2**62)]


class JobPublic(BaseModel):
    id: int
    kind: str = Field(
        description="publish: a draft published and delivered; deliver: the rest delivered"
    )
    policy_id: str
    version: int | None = Field(description="the version, once published")
    state: str = Field(description="running, done, failed or interrupted")
    phase: str = Field(description="queued, publishing, matching, delivering, flagging, done")
    chunk: int = Field(description="chunks of the delivery done so far")
    chunks: int = Field(description="chunks in all (0 until matching is done)")
    matched: int
    new_records: int
    granted: int
    granted_fen: int
    granted_yuan: str
    offered: int
    applications: int
    flagged: int
    errors: int = Field(description="enterprises the engine could not evaluate (not delivered)")
    message: str | None = Field(description="the summary when done; why, when it failed")
    started_by: str
    created_at: Utc
    heartbeat_at: Utc
    finished_at: Utc | None
    url: str = Field(description="the job's page in the console")

    @classmethod
    def of(cls, job: JobView) -> JobPublic:
        return cls(
            **{k: getattr(job, k) for k in JobView.__dataclass_fields__ if k in cls.model_fields},
            granted_yuan=yuan_of(job.granted_fen),
            url=f"/console/jobs/{job.id}",
        )


@router.get(
    "/jobs/{job_id}", dependencies=[role_gate("see publishing jobs", *sorted(POLICY_ROLES))]
)
def job(factory: Factory, who: SignedIn, job_id: Id) -> JobPublic:
    """A background job and its progress (a policy officer whose scope covers its policy):
    its state, phase, chunk i of n and the counts delivered so far."""
    with reading(factory) as s:
        return JobPublic.of(get_job(s, actor=actor_of(who), job_id=job_id))


@router.post("/jobs/{job_id}/resume", status_code=202)
def resume(
    settings: AppSettings, factory: Factory, who: ApiWriter, job_id: Id, response: Response
) -> JobPublic:
    """Deliver the rest of a job that stopped after publishing its version (interrupted or
    failed), as a new job (a policy publisher of its scope): the new job at once (202);
    409 when the job is running, done, or stopped before its version was published."""
    actor = actor_of(who)
    new_id = resume_job(settings, factory, actor=actor, job_id=job_id)
    response.headers["Location"] = f"/api/v1/console/jobs/{new_id}"
    with reading(factory) as s:
        return JobPublic.of(get_job(s, actor=actor, job_id=new_id))
