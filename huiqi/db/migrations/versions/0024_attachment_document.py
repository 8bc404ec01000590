"""an attached file says which of the policy's listed documents it is

A policy of delivery ``apply`` may list the materials its applicants attach (申报材料,
``documents``). A file attached to an application now carries the listed document it is
(its Chinese name, as the policy lists it), so that the application's checklist shows what
is still missing and submitting is refused while a required document has no file. Files
attached before this revision, and files that are none of the listed documents, hold NULL.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("application_attachments", sa.Column("document", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("application_attachments") as batch:
        batch.drop_column("document")
