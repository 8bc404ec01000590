"""Running a job in this worker process: a thread per job, and the list of this
process's running jobs, which it marks interrupted when it shuts down (a job it leaves
behind without that, after a crash, is found by its stale heartbeat)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.clock import utcnow
from huiqi.db.engine import transaction
from huiqi.jobs.models import Job
from huiqi.jobs.service import INTERRUPTED

log = logging.getLogger("huiqi.jobs")
_threads: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def start(job_id: int, work: Callable[[], None]) -> None:
    """Run ``work`` (which records its own end on the job's row) in a thread of its own."""

    def run() -> None:
        try:
            work()
        except Exception:  # the work records its failures; this is the last guard
            log.exception("job %s failed", job_id)
        finally:
            with _lock:
                _threads.pop(job_id, None)

    thread = threading.Thread(target=run, name=f"huiqi-job-{job_id}", daemon=True)
    with _lock:
        _threads[job_id] = thread
    thread.start()


def running() -> list[int]:
    """The jobs this process runs now."""
    with _lock:
        return sorted(_threads)


def wait(job_id: int, timeout: float | None = None) -> bool:
    """Wait for this process's job to end (True when it has, or was not running here)."""
    with _lock:
        thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def abandon(factory: sessionmaker[Session]) -> int:
    """Mark this process's running jobs interrupted (at shutdown): how many."""
    ids = running()
    if not ids:
        return 0
    with transaction(factory) as s:
        s.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.state == "running")
            .values(state="interrupted", message=INTERRUPTED, finished_at=utcnow())
        )
    return len(ids)
