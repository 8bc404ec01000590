"""a file uploaded twice with one idempotency key is stored once

Attaching a file to an application twice (a double click on the policy page's upload
form, the browser sending the POST again, an API call retried after a lost answer)
stored the file twice, each copy counted against the application's 20 files and written
to the audit trail. The upload form (and an API call, by its ``Idempotency-Key`` header)
now carries a one-time key, kept with the file, as requests do since 0021; a unique index
on (uploaded_by, idempotency_key) lets one account store one file per key, so a repeated
upload finds the first file instead, even when the two race. Files without a key (those
uploaded before this revision, API calls that send none) hold NULL, which never collides.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "application_attachments", sa.Column("idempotency_key", sa.String(64), nullable=True)
    )
    op.create_index(
        "uq_application_attachments_once",
        "application_attachments",
        ["uploaded_by", "idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_application_attachments_once", table_name="application_attachments")
    with op.batch_alter_table("application_attachments") as batch:
        batch.drop_column("idempotency_key")
