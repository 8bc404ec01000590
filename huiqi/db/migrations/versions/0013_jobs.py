"""background jobs: publishing a policy version from the console runs as a job

- ``jobs``: one per job (kind, policy and its scope, the version once published, state,
  phase, chunk i of n, the delivery's counts, the message, who started it, when, and the
  running thread's heartbeat). At most one running job per policy (a partial unique
  index), so a second publish of a policy being published is refused.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("policy_id", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("policy_version_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("new_records", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column("granted_fen", sa.BigInteger(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("applications", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('publish', 'deliver')", name=op.f("ck_jobs_job_kind")),
        sa.CheckConstraint(
            "state IN ('running', 'done', 'failed', 'interrupted')", name=op.f("ck_jobs_job_state")
        ),
        sa.CheckConstraint(
            "phase IN ('queued', 'publishing', 'matching', 'delivering', 'flagging', 'done')",
            name=op.f("ck_jobs_job_phase"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(
        "uq_jobs_running_policy",
        "jobs",
        ["policy_id"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])


def downgrade() -> None:
    op.drop_index("ix_jobs_state", table_name="jobs")
    op.drop_index("uq_jobs_running_policy", table_name="jobs")
    op.drop_table("jobs")
