"""SQLite: recording an enterprise in the directory moves counts only when it has rows

0017's directory insert trigger moves an enterprise's records and grants from the "no
district" counters to its district's when its district is first recorded: four
``INSERT … SELECT … GROUP BY`` statements per inserted row, run even for an enterprise
the ledger has never written a row for, which is every enterprise of a first delivery
(the directory is refreshed before any record of it exists). For 100,000 new
enterprises that was a third of the refresh's CPU. The trigger now fires only when the
enterprise has a record or a grant (two index probes on ``(uscc, id)``); without one the
four statements found nothing to move, so the counters are the same.

PostgreSQL is untouched: its directory triggers are statement triggers (0019).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with (0017's).
_COUNTED = (("entitlements", "record", "computed_fen"), ("grants", "grant", "amount_fen"))
_KEY = "kind, policy_version_id, status, district, month"
_FOLD = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = n + excluded.n, amount_fen = amount_fen + excluded.amount_fen"
_NONE = "''"
_HAS_DISTRICT = "NEW.district_code IS NOT NULL AND NEW.district_code <> ''"
_HAS_ROWS = (
    "(EXISTS (SELECT 1 FROM entitlements WHERE uscc = NEW.uscc)"
    " OR EXISTS (SELECT 1 FROM grants WHERE uscc = NEW.uscc))"
)


def _move(district: str, sign: str) -> str:
    """Add (sign '') or take out (sign '-') the new enterprise's rows under ``district``."""
    return "".join(
        f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) "
        f"SELECT '{kind}', r.policy_version_id, r.status, {district}, "
        f"substr(r.created_at, 1, 7), {sign}count(*), {sign}coalesce(sum(r.{amount}), 0) "
        f"FROM {table} r WHERE r.uscc = NEW.uscc GROUP BY 2, 3, 4, 5 {_FOLD};"
        for table, kind, amount in _COUNTED
    )


def _insert_trigger(when: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS enterprise_directory_count_insert")
    new = "coalesce(NEW.district_code, '')"
    op.execute(
        "CREATE TRIGGER enterprise_directory_count_insert AFTER INSERT ON enterprise_directory "
        f"WHEN {when} BEGIN {_move(_NONE, '-')} {_move(new, '')} END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _insert_trigger(f"{_HAS_DISTRICT} AND {_HAS_ROWS}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _insert_trigger(_HAS_DISTRICT)
