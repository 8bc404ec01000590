"""a grant whose payment failed can be paid again in a later batch, never twice

``batch_items.grant_id`` was unique, so a grant was in one batch for ever: a payment that
failed (a wrong bank account) could never be sent again. A grant may now have several
items, of which at most one is live: not yet settled, or paid (a partial unique index).
A failed item keeps its batch, result and reason; a paid grant can never get another.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 12:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_LIVE = "result IS NULL OR result <> 'failed'"


def upgrade() -> None:
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_batch_items_grant_id", type_="unique")
        batch_op.create_index("ix_batch_items_grant_id", ["grant_id"], unique=False)
        batch_op.create_index(
            "ux_batch_items_live_grant",
            ["grant_id"],
            unique=True,
            sqlite_where=sa.text(_LIVE),
            postgresql_where=sa.text(_LIVE),
        )


def downgrade() -> None:
    # Fails, naming the grant, where a grant was paid again after a failure: two items.
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.drop_index("ux_batch_items_live_grant")
        batch_op.drop_index("ix_batch_items_grant_id")
        batch_op.create_unique_constraint("uq_batch_items_grant_id", ["grant_id"])
