"""The jobs table and its rules, on each database: one running job per policy, a job
whose heartbeat stopped is interrupted, progress and the end written to the row, a
worker's own jobs marked interrupted when it shuts down."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.db.clock import utcnow
from huiqi.db.engine import transaction
from huiqi.delivery.records import DeliveryReport
from huiqi.jobs import runner
from huiqi.jobs.models import Job
from huiqi.jobs.progress import JobProgress
from huiqi.jobs.service import STALE, get_job, mark_stale, running_job

WATCHER = Actor.of("watcher", "policy_reviewer=district:310115")


def add_job(factory: sessionmaker[Session], policy_id: str = "p", **values: object) -> int:
    with transaction(factory) as s:
        job = Job(
            kind="publish",
            policy_id=policy_id,
            level="district",
            region="310115",
            department="测试局",
            started_by="tester",
            **values,
        )
        s.add(job)
        s.flush()
        return job.id


def state(factory: sessionmaker[Session], job_id: int) -> str:
    with factory() as s:
        return get_job(s, actor=WATCHER, job_id=job_id).state


def test_one_running_job_per_policy(sessions: sessionmaker[Session]) -> None:
    first = add_job(sessions)
    with pytest.raises(IntegrityError):
        add_job(sessions)
    add_job(sessions, "another-policy")  # other policies run beside it
    add_job(sessions, state="done")  # finished jobs do not count
    with transaction(sessions) as s:
        s.get(Job, first).state = "interrupted"  # type: ignore[union-attr]
    add_job(sessions)  # the slot is free again


def test_a_job_whose_heartbeat_stopped_is_interrupted(sessions: sessionmaker[Session]) -> None:
    fresh = add_job(sessions, "fresh", heartbeat_at=utcnow() - STALE / 2)
    stale = add_job(sessions, "stale", heartbeat_at=utcnow() - STALE * 2)
    assert (state(sessions, fresh), state(sessions, stale)) == ("running", "interrupted")
    with sessions() as s:
        assert running_job(s, "stale") is None and running_job(s, "fresh") is not None
        assert get_job(s, actor=WATCHER, job_id=stale).message  # says why
    with transaction(sessions) as s:
        assert mark_stale(s) == 1
    with sessions() as s:
        job = s.get(Job, stale)
        assert job is not None and job.state == "interrupted" and job.finished_at is not None


def test_progress_is_written_to_the_row(sessions: sessionmaker[Session]) -> None:
    job_id = add_job(sessions, heartbeat_at=utcnow() - dt.timedelta(seconds=30))
    progress = JobProgress(sessions, job_id)
    report = DeliveryReport(7, "p", 2, "auto", 1, matched=12_000)
    progress.matching(7, 2)
    with sessions() as s:
        assert get_job(s, actor=WATCHER, job_id=job_id).phase == "matching"
    report.granted, report.granted_fen, report.new_records = 5_000, 5_000 * 300_000, 5_000
    progress.delivering(report, 1, 3)
    with sessions() as s:
        job = get_job(s, actor=WATCHER, job_id=job_id)
    assert (job.phase, job.chunk, job.chunks, job.version) == ("delivering", 1, 3, 2)
    assert (job.matched, job.granted, job.granted_fen) == (12_000, 5_000, 1_500_000_000)
    progress.done(report)
    with sessions() as s:
        job = get_job(s, actor=WATCHER, job_id=job_id)
    assert (job.state, job.phase) == ("done", "done") and job.message
    assert job.message.startswith("p v2 (auto)") and job.finished_at is not None


def test_the_heartbeat_beats_while_the_work_runs(sessions: sessionmaker[Session]) -> None:
    old = utcnow() - dt.timedelta(seconds=40)
    job_id = add_job(sessions, heartbeat_at=old)
    with JobProgress(sessions, job_id).beating(every=0.05):
        threading.Event().wait(0.5)
    with sessions() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.heartbeat_at > old + dt.timedelta(seconds=30)


def test_a_worker_shutting_down_marks_its_jobs_interrupted(
    sessions: sessionmaker[Session],
) -> None:
    job_id = add_job(sessions)
    release = threading.Event()

    def work() -> None:
        release.wait(10)

    runner.start(job_id, work)
    try:
        assert runner.abandon(sessions) == 1
        assert state(sessions, job_id) == "interrupted"
    finally:
        release.set()
        assert runner.wait(job_id, timeout=10)
    assert runner.abandon(sessions) == 0
