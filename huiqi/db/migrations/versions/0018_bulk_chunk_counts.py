"""a bulk chunk counts its new records and grants once, set-based (SQLite)

0017's row triggers upsert ``ledger_counts`` once per inserted record and grant: on
SQLite a quarter of a bulk chunk's CPU (a directory probe and an upsert per row, twice
per grant). A bulk chunk now counts what it inserts with one ``INSERT … SELECT … GROUP
BY`` per table at the end of its own savepoint, and the insert triggers skip its rows.

They know which rows by a one-row flag, ``ledger_count_pause``: the insert triggers fire
only ``WHEN NOT EXISTS`` a row in it. The chunk writes the row, inserts, counts every row
above the largest ids it read before, and deletes the row, all in one savepoint of its
transaction (``huiqi.delivery.counts.counted_per_chunk``); a failure rolls all of it back
together. SQLite has one writer at a time and no reader sees another's uncommitted rows,
so no other transaction can ever see the flag set. Updates and deletes keep their row
triggers unconditionally: the counters stay equal to a recount at every commit.

On PostgreSQL the table exists (one schema on both databases) and nothing reads it: the
counters' triggers there are statement triggers already, set-based per statement.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_COUNTED = (("entitlements", "record", "computed_fen"), ("grants", "grant", "amount_fen"))
_KEY = "kind, policy_version_id, status, district, month"
_FOLD = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = n + excluded.n, amount_fen = amount_fen + excluded.amount_fen"
_UNPAUSED = "NOT EXISTS (SELECT 1 FROM ledger_count_pause)"


def _insert_trigger(table: str, kind: str, amount: str, when: str) -> str:
    district = (
        "coalesce((SELECT d.district_code FROM enterprise_directory d WHERE d.uscc = NEW.uscc), '')"
    )
    return (
        f"CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} {when}"
        f"BEGIN INSERT INTO ledger_counts ({_KEY}, n, amount_fen) VALUES ('{kind}', "
        f"NEW.policy_version_id, NEW.status, {district}, substr(NEW.created_at, 1, 7), "
        f"1, coalesce(NEW.{amount}, 0)) {_FOLD}; END"
    )


def upgrade() -> None:
    op.create_table(
        "ledger_count_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_count_pause")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, kind, amount in _COUNTED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_count_insert")
        op.execute(_insert_trigger(table, kind, amount, f"WHEN {_UNPAUSED} "))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # 0017's insert triggers, as they were (a pause is never left set at a commit).
        for table, kind, amount in _COUNTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_count_insert")
            op.execute(_insert_trigger(table, kind, amount, ""))
    op.drop_table("ledger_count_pause")
