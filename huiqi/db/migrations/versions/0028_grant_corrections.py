"""a newer version's amount can be delivered: a reviewer's correction grant

Version 2 of a policy that gives an enterprise more (or less) than version 1 granted it
for the period could not be delivered: the partial unique index of 0015/0023 allows one
live grant per policy, enterprise and period, and the new version's record was only
flagged. A reviewer may now decide *correct* (``huiqi.delivery.version_fix``). Where the
earlier grant was not yet sent for payment, it is superseded and the new version grants
its whole amount: one live grant, as before. Where the money has left, the new version
grants the difference on top, a second live grant of the policy and period, which names
the grant it corrects in ``grants.corrects_grant_id``. So that this stays exactly once:

- ``uq_grants_policy_once`` leaves such a correction out (it counts the enterprise's one
  base grant of the policy and period, as before);
- ``uq_grants_corrected_once`` allows one live correction per grant corrected, so two
  decisions (or a retried one) cannot both add the difference to the same grant, and a
  later version's correction corrects the latest one (a chain, never a fork).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_LIVE = "status NOT IN ('superseded', 'withdrawn')"
_ONCE = f"{_LIVE} AND corrects_grant_id IS NULL"
_CORRECTION = f"corrects_grant_id IS NOT NULL AND {_LIVE}"


def _once(where: str) -> None:
    op.create_index(
        "uq_grants_policy_once",
        "grants",
        ["policy_id", "uscc", "benefit_period"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    # A plain ADD COLUMN, its reference inline on SQLite (which alters no constraint; a
    # batch copy of the table would drop the counting triggers of migration 0018).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE grants ADD COLUMN corrects_grant_id INTEGER REFERENCES grants (id)")
    else:
        op.add_column(
            "grants",
            sa.Column("corrects_grant_id", sa.Integer(), sa.ForeignKey("grants.id"), nullable=True),
        )
    op.drop_index("uq_grants_policy_once", table_name="grants")
    _once(_ONCE)
    op.create_index(
        "uq_grants_corrected_once",
        "grants",
        ["corrects_grant_id"],
        unique=True,
        sqlite_where=sa.text(_CORRECTION),
        postgresql_where=sa.text(_CORRECTION),
    )


def downgrade() -> None:
    op.drop_index("uq_grants_corrected_once", table_name="grants")
    op.drop_index("uq_grants_policy_once", table_name="grants")
    _once(_LIVE)
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("corrects_grant_id")
