"""a request filed twice with one idempotency key is filed once

Submitting the portal's request form twice (a double click, or the browser sending the
POST again) filed two requests, each routed, given deadlines and put in a department's
queue. The form (and an API call, by its ``Idempotency-Key`` header) now carries a
one-time key, kept with the request; a unique index on (filed_by, idempotency_key) lets
one account file one request per key, so a repeated submission finds the first request
instead, even when the two race. Requests without a key (the hotline's, those filed
before this revision) hold NULL, which never collides.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("desk_requests", sa.Column("idempotency_key", sa.String(64), nullable=True))
    op.create_index(
        "uq_desk_requests_once", "desk_requests", ["filed_by", "idempotency_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_desk_requests_once", table_name="desk_requests")
    with op.batch_alter_table("desk_requests") as batch:
        batch.drop_column("idempotency_key")
