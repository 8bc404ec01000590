"""a review flag "no longer eligible" keeps the conditions the enterprise fails (qa4)

A new snapshot or an incremental re-match flags the open records of enterprises no
longer eligible for an officer's review. The flag said only "no longer eligible on
snapshot N", and the officer had to look the enterprise up to learn why. It now keeps
the criteria that fail or lack data, with the values read and, for a numeric threshold,
the figure against the threshold (``huiqi.delivery.lost_criteria``), in
``entitlements.review_criteria`` (JSON). Flags raised before this revision, other flags
(就高不重复) and decided flags hold NULL: their pages say the conditions were not
recorded.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entitlements", sa.Column("review_criteria", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN, as the upgrade's ADD COLUMN (SQLite 3.35 and later; no index
    # or trigger names the column). A batch copy would rename a new ``entitlements`` into
    # place, which SQLite refuses while other tables' triggers name the table.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE entitlements DROP COLUMN review_criteria")
    else:
        op.drop_column("entitlements", "review_criteria")
