"""the outbox's USCC index holds inbox rows only

Every query of ``notifications`` by USCC reads an enterprise's inbox (its messages, one
marked read, whether it ever received one: every message has its inbox row), so the rows
of external channels (email, the log: one more per message and channel) need no entry.
A bulk grant writes one inbox row and one row per external channel: 100,000 grants wrote
200,000 entries into this index, now 100,000.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_INBOX = "channel = 'inbox'"


def upgrade() -> None:
    op.create_index(
        "ix_notifications_inbox_uscc",
        "notifications",
        ["uscc"],
        sqlite_where=sa.text(_INBOX),
        postgresql_where=sa.text(_INBOX),
    )
    op.drop_index("ix_notifications_uscc", table_name="notifications")


def downgrade() -> None:
    op.create_index("ix_notifications_uscc", "notifications", ["uscc"])
    op.drop_index("ix_notifications_inbox_uscc", table_name="notifications")
