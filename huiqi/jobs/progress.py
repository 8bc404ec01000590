"""A job's progress, written to its row as the work goes: the phase, chunk i of n, the
delivery's counts so far, a heartbeat every few seconds from a thread of its own, and
the end (done with the summary, or failed with the reason). Each write is one short
transaction, so any worker process reading the row sees how far the job has got."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.clock import utcnow
from huiqi.db.engine import transaction
from huiqi.delivery.records import DeliveryReport
from huiqi.jobs.models import Job
from huiqi.jobs.service import HEARTBEAT


def _counts(report: DeliveryReport) -> dict[str, int]:
    return {
        "matched": report.matched,
        "new_records": report.new_records,
        "granted": report.granted,
        "granted_fen": report.granted_fen,
        "offered": report.offered,
        "applications": report.applications,
        "flagged": report.flagged,
        "errors": report.errors,
    }


class JobProgress:
    """Writes one job's progress (a :class:`huiqi.delivery.progress.Progress`)."""

    def __init__(self, factory: sessionmaker[Session], job_id: int) -> None:
        self.factory = factory
        self.job_id = job_id

    def _write(self, **values: Any) -> None:
        with transaction(self.factory) as s:
            s.execute(
                update(Job).where(Job.id == self.job_id).values(heartbeat_at=utcnow(), **values)
            )

    def publishing(self) -> None:
        self._write(phase="publishing")

    def matching(self, pv_id: int, version: int) -> None:
        self._write(phase="matching", policy_version_id=pv_id, version=version)

    def delivering(self, report: DeliveryReport, chunk: int, chunks: int) -> None:
        self._write(phase="delivering", chunk=chunk, chunks=chunks, **_counts(report))

    def flagging(self, report: DeliveryReport) -> None:
        self._write(phase="flagging", **_counts(report))

    def done(self, report: DeliveryReport) -> None:
        self._write(
            state="done",
            phase="done",
            message=report.summary(),
            finished_at=utcnow(),
            **_counts(report),
        )

    def failed(self, message: str) -> None:
        self._write(state="failed", message=message[:2000], finished_at=utcnow())

    @contextmanager
    def beating(self, every: float = HEARTBEAT) -> Iterator[None]:
        """Beat every ``every`` seconds while the body runs (the work may spend minutes
        in one phase, matching, without writing)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                with transaction(self.factory) as s:
                    s.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.state == "running")
                        .values(heartbeat_at=utcnow())
                    )

        thread = threading.Thread(target=beat, name=f"huiqi-job-{self.job_id}-beat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
