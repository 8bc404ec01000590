"""drop the policy_version_id indexes that the (version, USCC, period) unique index covers

Every insert of a delivery record or a grant maintained both; queries by version
use the unique index's leading column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 13:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INDEXES = (
    ("entitlements", "ix_entitlements_policy_version_id"),
    ("grants", "ix_grants_policy_version_id"),
)


def upgrade() -> None:
    for table, name in _INDEXES:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name in _INDEXES:
        op.create_index(name, table, ["policy_version_id"], unique=False)
