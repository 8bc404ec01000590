"""Publishing a draft from the console as a background job: the request checks and
answers at once, a thread of the worker process publishes and delivers.

``start_publish`` checks in the request what can be checked at once (a publisher of the
policy's scope, a draft whose lint and test cases pass, no job already running on the
policy), records the job (:mod:`huiqi.jobs`) and starts it; the job then does what
``drafts.publish_draft`` does, writing its progress to the job's row as it goes.
``resume_job`` delivers the rest of a job that stopped after its version was published
(interrupted by a restart, or failed): the delivery ledger makes every record once, so
delivering again creates only what is missing. ``start_deliver`` delivers a published
version again, as ``huiqi deliver`` does (the same call, ``publish.deliver``, and the same
check: a publisher of the policy's scope, or the scheduler), from the console."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, PolicyRef, require_policy_scope
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery import drafts
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.delivery.models import PolicyDraft, PolicyVersion
from huiqi.delivery.publish import deliver
from huiqi.delivery.records import DeliveryReport
from huiqi.delivery.versions import policy_ref
from huiqi.errors import HuiqiError, NotFoundError
from huiqi.jobs import runner
from huiqi.jobs.models import Job
from huiqi.jobs.progress import JobProgress
from huiqi.jobs.service import JobBusy, JobError, mark_stale, running_job

log = logging.getLogger("huiqi.jobs")


def _busy(policy_id: str, job: Job | None) -> JobBusy:
    if job is None:  # it started between our look and our insert
        return JobBusy(f"{policy_id} is already being published: wait for it to finish", job_id=0)
    return JobBusy(
        f"{policy_id} is already being published (job {job.id}, started by {job.started_by}"
        f" at {job.created_at:%H:%M:%S} UTC): wait for it to finish, then publish again"
        " if there is anything left to publish",
        job_id=job.id,
    )


def _record(factory: sessionmaker[Session], job: Job) -> int:
    """Insert the job, unless one is running on its policy (refused, naming it)."""
    try:
        with transaction(factory) as s:
            busy = running_job(s, job.policy_id)
            if busy is not None:
                raise _busy(job.policy_id, busy)
            s.add(job)
            s.flush()
            return job.id
    except IntegrityError:  # the partial unique index: one started meanwhile
        with factory() as s:
            raise _busy(job.policy_id, running_job(s, job.policy_id)) from None


def start_publish(
    settings: Settings, factory: sessionmaker[Session], *, actor: Actor, policy_id: str
) -> int:
    """Start publishing a policy's draft in the background: the job's id. Refused at once
    when the actor may not publish it, the draft fails its checks, or a job is running."""
    with transaction(factory) as s:
        mark_stale(s)
        busy = running_job(s, policy_id)
        try:
            draft = drafts.publishable(s, actor=actor, policy_id=policy_id)
        except (drafts.DraftError, NotFoundError):
            if busy is not None:  # the running job may have published the draft already
                raise _busy(policy_id, busy) from None
            raise
        if busy is not None:
            raise _busy(policy_id, busy)
        job = Job(
            kind="publish",
            policy_id=policy_id,
            level=draft.level,
            region=draft.region,
            department=draft.department,
            started_by=actor.username,
        )
    job_id = _record(factory, job)

    def work(progress: JobProgress) -> DeliveryReport:
        progress.publishing()
        _, report = drafts.publish_draft(
            settings, factory, actor=actor, policy_id=policy_id, progress=progress
        )
        return report

    runner.start(job_id, lambda: _run(factory, job_id, work))
    return job_id


def resume_job(
    settings: Settings, factory: sessionmaker[Session], *, actor: Actor, job_id: int
) -> int:
    """Deliver the rest of a job that stopped after publishing its version (interrupted
    or failed), as a new job: its id. A publisher of the policy's scope only."""
    with transaction(factory) as s:
        mark_stale(s)
        old = s.get(Job, job_id)
        if old is None:
            raise NotFoundError(f"no job {job_id}")
        ref = PolicyRef(old.level, old.region, old.department)
        require_policy_scope(actor, ref, f"deliver {old.policy_id}", Role.POLICY_PUBLISHER)
        if old.state not in ("interrupted", "failed") or old.policy_version_id is None:
            raise JobError(
                f"job {job_id} is {old.state}: only a job that stopped after publishing its"
                " version is delivered again"
            )
        pv_id = old.policy_version_id
        job = Job(
            kind="deliver",
            policy_id=old.policy_id,
            level=old.level,
            region=old.region,
            department=old.department,
            policy_version_id=pv_id,
            version=old.version,
            started_by=actor.username,
        )
    new_id = _record(factory, job)

    def work(progress: JobProgress) -> DeliveryReport:
        report = deliver(settings, factory, pv_id, actor=actor, progress=progress)
        _forget_draft(factory, pv_id, actor.username)
        return report

    runner.start(new_id, lambda: _run(factory, new_id, work))
    return new_id


def start_deliver(
    settings: Settings, factory: sessionmaker[Session], *, actor: Actor, version_id: int
) -> int:
    """Deliver a published version on the latest snapshot in the background (new records
    for the newly eligible, review flags for those no longer eligible), as ``huiqi
    deliver`` does: the job's id. Refused at once when the actor may not deliver it or a
    job is running on its policy. Regression (qa12): the console could publish, but a
    version published without delivering (the demo's) could be delivered from the CLI or
    the scheduler only."""
    with transaction(factory) as s:
        mark_stale(s)
        pv = s.get(PolicyVersion, version_id)
        if pv is None:
            raise NotFoundError(f"no published policy version with id {version_id}")
        require_policy_scope(
            actor,
            policy_ref(pv),
            f"deliver {pv.policy_id}",
            Role.POLICY_PUBLISHER,
            also=(Role.SCHEDULER,),
        )
        busy = running_job(s, pv.policy_id)
        if busy is not None:
            raise _busy(pv.policy_id, busy)
        job = Job(
            kind="deliver",
            policy_id=pv.policy_id,
            level=pv.level,
            region=pv.region,
            department=pv.department,
            policy_version_id=pv.id,
            version=pv.version,
            started_by=actor.username,
        )
    job_id = _record(factory, job)

    def work(progress: JobProgress) -> DeliveryReport:
        return deliver(settings, factory, version_id, actor=actor, progress=progress)

    runner.start(job_id, lambda: _run(factory, job_id, work))
    return job_id


def _forget_draft(factory: sessionmaker[Session], pv_id: int, username: str) -> None:
    """Remove the policy's draft once the version published from it is delivered."""
    with transaction(factory) as s:
        pv = s.get(PolicyVersion, pv_id)
        assert pv is not None
        draft = s.scalar(select(PolicyDraft).where(PolicyDraft.policy_id == pv.policy_id))
        if draft is None or draft.source_yaml != pv.source_yaml:
            return
        s.execute(delete(PolicyDraft).where(PolicyDraft.id == draft.id))
        record_event(
            s,
            actor=username,
            kind="draft_publish",
            policy_version_id=pv.id,
            entity=f"policy_draft:{draft.id}",
            reason=reasons.DRAFT_DELIVERED(policy=pv.policy_id, version=pv.version),
            data={"policy_id": pv.policy_id, "version": pv.version},
        )


def _run(
    factory: sessionmaker[Session],
    job_id: int,
    work: Callable[[JobProgress], DeliveryReport],
) -> None:
    """A job's thread: the work, with its heartbeat, its progress and its end recorded."""
    progress = JobProgress(factory, job_id)
    with progress.beating():
        try:
            report = work(progress)
        except HuiqiError as exc:
            progress.failed(str(exc))
            return
        except Exception:
            log.exception("job %s failed", job_id)
            progress.failed("an unexpected error stopped the job; the server log has the details")
            return
        progress.done(report)
