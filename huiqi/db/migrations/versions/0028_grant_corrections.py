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


def _stop_unless_it_can_go_down() -> None:
    """Refuse, before anything is changed, a downgrade the schema before 0028 could not
    hold: a live correction would be a second live grant of its policy, enterprise and
    period (the old index refuses it, or, its base grant withdrawn, the correction's
    difference would read as the enterprise's whole grant), and nothing would say which
    grant it corrects. A correction no longer live (withdrawn, superseded) goes down as an
    ordinary grant: the grant event it was made with still names the grant it corrected."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.execute(sa.text("SELECT sqlite_version()")).scalar_one()
        if tuple(int(part) for part in version.split(".")[:2]) < (3, 35):
            raise RuntimeError(
                "downgrading revision 0028 on SQLite needs SQLite 3.35 or newer (this is"
                f" {version}): it drops grants.corrects_grant_id with ALTER TABLE ... DROP"
                " COLUMN, since copying the table would break the triggers that name it."
                " Run the downgrade with a Python whose sqlite3 module is 3.35 or newer."
                " Nothing was changed"
            )
    rows = bind.execute(
        sa.text(
            "SELECT id, corrects_grant_id, policy_id, uscc, benefit_period, status"
            f" FROM grants WHERE {_CORRECTION} ORDER BY id"
        )
    ).all()
    if not rows:
        return
    named = [
        f"grant {gid} ({policy} {uscc} {period}, {status}) corrects grant {corrected}"
        for gid, corrected, policy, uscc, period, status in rows
    ]
    if len(named) > 20:
        named = [*named[:20], f"and {len(named) - 20} more"]
    raise RuntimeError(
        f"cannot downgrade below revision 0028: the ledger holds {len(rows)} live"
        f" correction grant{'s' if len(rows) > 1 else ''} (a newer version's difference"
        f" granted on top of an earlier grant of the same policy and period): {'; '.join(named)}."
        " Before 0028 the database allows one live grant per policy, enterprise and period,"
        " and has no column to say which grant a correction corrects, so downgrading would"
        " break the one-grant rule. Keep the database at revision 0028 and run the huiqi"
        " release that has it; a correction made in error whose money has not been sent"
        " can be withdrawn in review first, and the downgrade run again. Nothing was"
        " changed"
    )


def downgrade() -> None:
    _stop_unless_it_can_go_down()
    op.drop_index("uq_grants_corrected_once", table_name="grants")
    op.drop_index("uq_grants_policy_once", table_name="grants")
    if op.get_bind().dialect.name == "sqlite":
        # A plain DROP COLUMN, as the upgrade's ADD COLUMN: no index names the column any
        # more, and no trigger ever did. A batch copy of the table would rename a new
        # ``grants`` into place, which SQLite refuses while other tables' triggers (the
        # directory's counters, 0019/0020) name the dropped one.
        op.execute("ALTER TABLE grants DROP COLUMN corrects_grant_id")
    else:
        op.drop_column("grants", "corrects_grant_id")  # and its foreign key with it
    _once(_LIVE)
