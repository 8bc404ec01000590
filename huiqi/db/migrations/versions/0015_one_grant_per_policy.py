"""one live grant per policy, enterprise and benefit period, whatever the version

Grants were unique per (policy version, enterprise, period), so publishing version 2 of a
policy granted every enterprise again for the period version 1 had already paid. Each
grant now carries its version's ``policy_id`` (filled here from ``policy_versions``), and
a partial unique index allows one grant per (policy, enterprise, period) that is not
superseded under 就高不重复.

A ledger that already holds two live grants of one policy for one enterprise and period
(made before this revision) cannot take the index: the upgrade stops and names them, for
a finance officer to settle (recover the second payment, or mark one grant superseded
with an audit event) before upgrading again. Nothing is changed in that case.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_LIVE = "status <> 'superseded'"


def _stop_on_duplicates() -> None:
    twice = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT v.policy_id, g.uscc, g.benefit_period, count(*) AS n"
                " FROM grants g JOIN policy_versions v ON v.id = g.policy_version_id"
                f" WHERE g.{_LIVE}"
                " GROUP BY v.policy_id, g.uscc, g.benefit_period HAVING count(*) > 1"
                " ORDER BY v.policy_id, g.uscc, g.benefit_period LIMIT 20"
            )
        )
        .all()
    )
    if twice:
        named = "; ".join(f"{p} {u} {period} ({n} grants)" for p, u, period, n in twice)
        raise RuntimeError(
            "this ledger holds more than one live grant of one policy for one enterprise and"
            f" period (made by different versions before revision 0015): {named}."
            " Settle each with finance (recover the second payment, or mark one grant"
            " 'superseded' with an audit event), then run the upgrade again; nothing was changed"
        )


def upgrade() -> None:
    _stop_on_duplicates()
    fill = (
        "UPDATE grants SET policy_id ="
        " (SELECT v.policy_id FROM policy_versions v WHERE v.id = grants.policy_version_id)"
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite makes a filled table's new column NOT NULL only with a default, or by
        # copying the table (which breaks the batch items' foreign keys and drops the
        # counters' triggers): the column defaults to '' and a trigger refuses that value.
        op.execute("ALTER TABLE grants ADD COLUMN policy_id VARCHAR(120) NOT NULL DEFAULT ''")
        op.execute(fill)
        for event in ("INSERT", "UPDATE OF policy_id"):
            name = "grants_policy_id_required_" + event.split()[0].lower()
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON grants WHEN NEW.policy_id = ''"
                " BEGIN SELECT RAISE(ABORT, 'a grant names its policy (grants.policy_id)'); END"
            )
    else:
        op.add_column("grants", sa.Column("policy_id", sa.String(length=120), nullable=True))
        op.execute(fill)
        op.alter_column("grants", "policy_id", nullable=False)
    op.create_index(
        "uq_grants_policy_once",
        "grants",
        ["policy_id", "uscc", "benefit_period"],
        unique=True,
        sqlite_where=sa.text(_LIVE),
        postgresql_where=sa.text(_LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_grants_policy_once", table_name="grants")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS grants_policy_id_required_insert")
        op.execute("DROP TRIGGER IF EXISTS grants_policy_id_required_update")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("policy_id")
