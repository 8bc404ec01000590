"""a grant withdrawn after review before it was paid no longer counts

A reviewer who withdrew a record whose grant had not yet been sent for payment kept the
grant out of every export, but left it ``granted``: its amount stayed committed against
the policy's budget and its cap group, it kept holding its exclusivity group, and it
still counted as the enterprise's one grant of the policy for the period, so a later
version of the policy excluded the enterprise ("already granted … under v1") with money
that would never be paid. Such a grant is now ``withdrawn`` (``huiqi.delivery.review``
releases its budget, cap and group in the same transaction), and the partial unique
index of 0015 (one live grant per policy, enterprise and period) leaves it out as it
leaves out a superseded one. A grant withdrawn before this revision is left as it was
(``granted``, held back from every export): releasing its money here would bypass the
audit trail; finance lists them as the grants whose record is ``withdrawn``.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_OLD = "status <> 'superseded'"
_LIVE = "status NOT IN ('superseded', 'withdrawn')"


def _index(where: str) -> None:
    op.create_index(
        "uq_grants_policy_once",
        "grants",
        ["policy_id", "uscc", "benefit_period"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("uq_grants_policy_once", table_name="grants")
    _index(_LIVE)


def downgrade() -> None:
    op.drop_index("uq_grants_policy_once", table_name="grants")
    _index(_OLD)
