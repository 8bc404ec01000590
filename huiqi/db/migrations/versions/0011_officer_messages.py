"""officers' console inbox: the sweep's reminders and escalations, per account

- ``officer_messages``: one per officer (``users.id``), request, kind (reminder to the
  department's desk officers, escalation to its desk heads) and deadline; ``read_at``
  once read.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officer_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reminder', 'escalation')",
            name=op.f("ck_officer_messages_officer_message_kind"),
        ),
        sa.CheckConstraint(
            "task IN ('acknowledge', 'answer')",
            name=op.f("ck_officer_messages_officer_message_task"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_officer_messages_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["desk_requests.id"],
            name=op.f("fk_officer_messages_request_id_desk_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officer_messages")),
        sa.UniqueConstraint(
            "user_id",
            "request_id",
            "kind",
            "due",
            name=op.f("uq_officer_messages_user_id_request_id_kind_due"),
        ),
    )
    op.create_index(op.f("ix_officer_messages_request_id"), "officer_messages", ["request_id"])
    op.create_index("ix_officer_messages_user_id_id", "officer_messages", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_officer_messages_user_id_id", table_name="officer_messages")
    op.drop_index(op.f("ix_officer_messages_request_id"), table_name="officer_messages")
    op.drop_table("officer_messages")
