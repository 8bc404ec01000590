"""every API call that changes something honours an Idempotency-Key (qa2)

Only filing a request to the desk (0021) and attaching a file (0022) honoured the
``Idempotency-Key`` header, by a key kept with the record; every other POST ignored it,
and a key sent again with another body answered the first request as if it were the
answer. ``api_idempotency`` keeps, per account and key (the key as its SHA-256), the
request the key was first sent with (method, path, HMAC-SHA256 of the body under the
key) and its successful answer (status, a few headers, body), for 24 hours: a repeat is
answered again from it, a key reused for another request is refused (422) and one still
being answered is a 409. The unique index on (principal, idempotency_key) decides
between two calls that race; the index on created_at serves the deletion of expired
rows.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotency")),
        sa.UniqueConstraint(
            "principal",
            "idempotency_key",
            name=op.f("uq_api_idempotency_principal_idempotency_key"),
        ),
    )
    op.create_index("ix_api_idempotency_created_at", "api_idempotency", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_api_idempotency_created_at", table_name="api_idempotency")
    op.drop_table("api_idempotency")
