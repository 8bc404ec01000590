"""one live grant per policy, enterprise and benefit period, whatever the version

Grants were unique per (policy version, enterprise, period), so publishing version 2 of a
policy granted every enterprise again for the period version 1 had already paid. Each
grant now carries its version's ``policy_id`` (filled here from ``policy_versions``), and
a partial unique index allows one grant per (policy, enterprise, period) that is not
superseded under 就高不重复.

A ledger that already holds two live grants of one policy for one enterprise and period
(made before this revision) cannot take the index: the upgrade stops with an error that
names every such grant, for finance to settle (recover the second payment, or accept it)
and the operator to mark all but one superseded before upgrading again. Nothing is
changed in that case.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from huiqi.errors import ConfigError

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_LIVE = "status <> 'superseded'"


def _stop_on_duplicates() -> None:
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT v.policy_id, g.uscc, g.benefit_period, g.id, v.version, g.status"
                " FROM grants g JOIN policy_versions v ON v.id = g.policy_version_id"
                f" WHERE g.{_LIVE} AND EXISTS (SELECT 1 FROM grants o"
                " JOIN policy_versions ov ON ov.id = o.policy_version_id"
                f" WHERE o.{_LIVE} AND o.id <> g.id AND ov.policy_id = v.policy_id"
                " AND o.uscc = g.uscc AND o.benefit_period = g.benefit_period)"
                " ORDER BY v.policy_id, g.uscc, g.benefit_period, g.id"
            )
        )
        .all()
    )
    if not rows:
        return
    groups: dict[tuple[str, str, str], list[str]] = {}
    for policy, uscc, period, gid, version, status in rows:
        groups.setdefault((policy, uscc, period), []).append(f"grant {gid} (v{version}, {status})")
    named = "; ".join(f"{p} {u} {period}: {', '.join(g)}" for (p, u, period), g in groups.items())
    if len(groups) > 20:
        named = "; ".join(named.split("; ")[:20]) + f"; and {len(groups) - 20} more"
    raise ConfigError(
        "this ledger holds more than one live grant of one policy for one enterprise and"
        f" period, made by different versions before revision 0015 ({len(groups)} in all):"
        f" {named}. Settle each with finance (recover the second payment, or accept it),"
        " keep one grant of each and set the others' status to 'superseded'"
        " (UPDATE grants SET status = 'superseded' WHERE id IN (...)), noting why in the"
        " finance records; then run the upgrade again. Nothing was changed"
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
        # A plain DROP COLUMN, as the upgrade's ADD COLUMN (SQLite 3.35 and later): a
        # batch copy of ``grants`` dropped the counters' triggers, so the dashboards'
        # counts stopped following the grants (QA, qa5).
        op.execute("ALTER TABLE grants DROP COLUMN policy_id")
    else:
        op.drop_column("grants", "policy_id")
