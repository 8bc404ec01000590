"""The ``jobs`` table: one row per background job, written by the thread that runs it.

A job runs in the worker process that started it. Its row says how far it got (the
phase, the chunk of the delivery, the counts so far) and when the thread last beat
(``heartbeat_at``); every worker reads the same row. A running job whose heartbeat is
older than :data:`huiqi.jobs.service.STALE` died with its process (a restart, a crash):
it is shown, then marked, as interrupted. At most one job per policy runs at a time (a
partial unique index), so a second publish of a policy being published is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.db.base import Base
from huiqi.db.clock import utcnow

KINDS = ("publish", "deliver")
STATES = ("running", "done", "failed", "interrupted")
PHASES = ("queued", "publishing", "matching", "delivering", "flagging", "done")
_RUNNING = text("state = 'running'")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Job(Base):
    """A background job on one policy: who started it, its state and its progress."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    policy_id: Mapped[str] = mapped_column(String(120))
    # The policy's scope, copied so that reading a job checks access without its version.
    level: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(200))
    policy_version_id: Mapped[int | None] = mapped_column(Integer)  # once published
    version: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="running")
    phase: Mapped[str] = mapped_column(String(16), default="queued")
    chunk: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    new_records: Mapped[int] = mapped_column(Integer, default=0)
    granted: Mapped[int] = mapped_column(Integer, default=0)
    granted_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    applications: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)  # enterprises not evaluated
    message: Mapped[str | None] = mapped_column(Text)  # why it failed, or the summary
    started_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(_one_of("kind", KINDS), name="job_kind"),
        CheckConstraint(_one_of("state", STATES), name="job_state"),
        CheckConstraint(_one_of("phase", PHASES), name="job_phase"),
        # One running job per policy: a second publish waits for the first to end.
        Index(
            "uq_jobs_running_policy",
            "policy_id",
            unique=True,
            sqlite_where=_RUNNING,
            postgresql_where=_RUNNING,
        ),
        Index("ix_jobs_state", "state"),
    )
