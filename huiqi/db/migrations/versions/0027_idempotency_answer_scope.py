"""an idempotent call's answer is bound to the account's roles, and capped in size (qa5)

``api_idempotency`` kept any successful answer for a repeat, whatever its size, and
answered it again to the account whatever had become of its roles and scopes since: an
officer moved from one district to another was answered, on a repeat, what its old
district's records were. ``grants`` keeps the account's roles as held when the call was
made (a JSON list of ``role`` or ``role=scope``); a repeat is answered only while the
account still holds each of them, and is otherwise a 409 saying why (an added role
changes nothing). An answer larger than ``idempotent_calls.MAX_ANSWER`` keeps its
status and headers with ``body`` NULL: a repeat is a 409 saying the first call was carried
out and its answer was too large to keep, never the call carried out again.

Rows written before this revision hold NULL ``grants``: their roles were not recorded, so
a repeat of them is refused as one whose roles changed (they are deleted within 24 hours).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_idempotency", sa.Column("grants", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency") as batch:
        batch.drop_column("grants")
