"""Reading background jobs: one job with its progress, for the officers who may see it
(the policy officers whose scope covers the job's policy), and the rule that turns a
running job whose heartbeat stopped into an interrupted one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.accounts.access import (
    Actor,
    PolicyRef,
    in_policy_scope,
    require_policy_scope,
    require_role,
)
from huiqi.accounts.roles import POLICY_ROLES
from huiqi.db.clock import utcnow
from huiqi.errors import NotFoundError, StateConflict
from huiqi.jobs.models import Job

HEARTBEAT = 5.0  # seconds between a running job's heartbeats
# A running job not heard from for this long died with its process (a restart, a crash).
STALE = dt.timedelta(seconds=60)
INTERRUPTED = "the worker process running this job stopped before it finished (a restart?)"


class JobError(StateConflict):
    """A job cannot be started or resumed as asked (the message says why)."""


class JobBusy(JobError):
    """A job on this policy is running: a second one is refused until it ends."""

    def __init__(self, message: str, *, job_id: int) -> None:
        super().__init__(message)
        self.job_id = job_id


@dataclass(frozen=True)
class JobView:
    """A job as shown: its row, with ``state`` 'interrupted' once its heartbeat is stale."""

    id: int
    kind: str
    policy_id: str
    version: int | None
    policy_version_id: int | None
    state: str
    phase: str
    chunk: int
    chunks: int
    matched: int
    new_records: int
    granted: int
    granted_fen: int
    offered: int
    applications: int
    flagged: int
    errors: int
    message: str | None
    started_by: str
    created_at: dt.datetime
    heartbeat_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def running(self) -> bool:
        return self.state == "running"


def _stale(job: Job, now: dt.datetime) -> bool:
    return job.state == "running" and job.heartbeat_at < now - STALE


def view_of(job: Job, now: dt.datetime | None = None) -> JobView:
    state = "interrupted" if _stale(job, now or utcnow()) else job.state
    message = INTERRUPTED if state == "interrupted" and not job.message else job.message
    names = JobView.__dataclass_fields__
    values = {name: getattr(job, name) for name in names if name not in ("state", "message")}
    return JobView(**values, state=state, message=message)


def get_job(session: Session, *, actor: Actor, job_id: int) -> JobView:
    """A job and its progress, for a policy officer whose scope covers its policy."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    ref = PolicyRef(job.level, job.region, job.department)
    require_policy_scope(actor, ref, f"see job {job_id} on {job.policy_id}", *POLICY_ROLES)
    return view_of(job)


def recent_jobs(session: Session, *, actor: Actor, limit: int = 10) -> list[JobView]:
    """The newest jobs on the policies of the officer's scope (running ones first)."""
    require_role(actor, "see publishing jobs", *POLICY_ROLES)
    now, found = utcnow(), []
    # The newest few hundred are enough: jobs are a few a day.
    for job in session.scalars(select(Job).order_by(Job.id.desc()).limit(500)):
        ref = PolicyRef(job.level, job.region, job.department)
        if in_policy_scope(actor, ref, *POLICY_ROLES):
            found.append(view_of(job, now))
            if len(found) == limit:
                break
    return sorted(found, key=lambda j: (not j.running, -j.id))


def running_job(session: Session, policy_id: str) -> Job | None:
    """The job running on this policy (heartbeat fresh), if any."""
    job = session.scalar(select(Job).where(Job.policy_id == policy_id, Job.state == "running"))
    return None if job is None or _stale(job, utcnow()) else job


def mark_stale(session: Session) -> int:
    """Mark every running job whose heartbeat stopped as interrupted (how many)."""
    now = utcnow()
    done = session.execute(
        update(Job)
        .where(Job.state == "running", Job.heartbeat_at < now - STALE)
        .values(state="interrupted", message=INTERRUPTED, finished_at=now)
    )
    return int(getattr(done, "rowcount", 0) or 0)
