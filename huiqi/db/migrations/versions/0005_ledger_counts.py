"""maintained counters for the dashboards: ledger_counts and ledger_count_deltas

The counters are kept by triggers on ``entitlements`` and ``grants``, so every path that
writes a delivery record or a grant — the bulk delivery, a claim, an approval, an
export, a payment import, an expiry, or SQL typed by hand — keeps them right in the
same transaction:

- SQLite: row triggers add each inserted row to its counter, move an updated row from
  its old counter to its new one (status or amount changed), and take a deleted row
  out. SQLite has one writer at a time, so updating the counter rows directly makes
  nobody wait.
- PostgreSQL: statement triggers with transition tables append what a statement
  changed, summed per counter, to ``ledger_count_deltas``. Appending takes no row lock,
  so concurrent claims never queue on a counter (an UPDATE of a shared counter row
  would hold its lock until commit, and two transactions taking two counters in
  opposite order could deadlock). ``huiqi.delivery.counts.compact`` folds the deltas
  into ``ledger_counts``.

The counters start from the rows already in the ledger. A later migration that
rebuilds ``entitlements`` or ``grants`` on SQLite (``batch_alter_table``) drops these
triggers and must create them again (``tests/delivery/test_counts.py`` would fail).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
# (table, counter kind, amount column)
_COUNTED = (("entitlements", "record", "computed_fen"), ("grants", "grant", "amount_fen"))
_KEY = "kind, policy_version_id, status, district, month"
_FOLD = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = n + excluded.n, amount_fen = amount_fen + excluded.amount_fen"


def upgrade() -> None:
    op.create_table(
        "ledger_counts",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind",
            "policy_version_id",
            "status",
            "district",
            "month",
            name=op.f("pk_ledger_counts"),
        ),
    )
    op.create_table(
        "ledger_count_deltas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("district", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_count_deltas")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, kind, amount in _COUNTED:
        month = "substr({r}.created_at, 1, 7)" if sqlite else "to_char({r}.created_at, 'YYYY-MM')"
        op.execute(
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) "
            f"SELECT '{kind}', r.policy_version_id, r.status, substr(r.uscc, 3, 6), "
            f"{month.format(r='r')}, count(*), coalesce(sum(r.{amount}), 0) "
            f"FROM {table} r GROUP BY 2, 3, 4, 5"
        )
        if sqlite:
            _sqlite_triggers(table, kind, amount, month)
        else:
            _postgres_triggers(table, kind, amount, month)


def _sqlite_triggers(table: str, kind: str, amount: str, month: str) -> None:
    def add(row: str, sign: str) -> str:
        return (
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) VALUES ('{kind}', "
            f"{row}.policy_version_id, {row}.status, substr({row}.uscc, 3, 6), "
            f"{month.format(r=row)}, {sign}1, {sign}coalesce({row}.{amount}, 0)) {_FOLD};"
        )

    op.execute(
        f"CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table} BEGIN {add('NEW', '')} END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_count_update AFTER UPDATE OF status, {amount}, "
        f"policy_version_id, uscc, created_at ON {table} "
        f"WHEN OLD.status IS NOT NEW.status OR OLD.{amount} IS NOT NEW.{amount} "
        f"OR OLD.policy_version_id IS NOT NEW.policy_version_id OR OLD.uscc IS NOT NEW.uscc "
        f"OR OLD.created_at IS NOT NEW.created_at "
        f"BEGIN {add('OLD', '-')} {add('NEW', '')} END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table} BEGIN {add('OLD', '-')} END"
    )


def _postgres_triggers(table: str, kind: str, amount: str, month: str) -> None:
    def rows(name: str, sign: str) -> str:
        return (
            f"SELECT r.policy_version_id, r.status, substr(r.uscc, 3, 6) AS district, "
            f"{month.format(r='r')} AS month, {sign}1 AS n, "
            f"{sign}coalesce(r.{amount}, 0) AS amount_fen FROM {name} r"
        )

    changes = {
        "insert": rows("new_rows", ""),
        "update": f"{rows('old_rows', '-')} UNION ALL {rows('new_rows', '')}",
        "delete": rows("old_rows", "-"),
    }
    referencing = {
        "insert": "NEW TABLE AS new_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
    }
    for action, change in changes.items():
        function = f"huiqi_count_{table}_{action}"
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
            f"INSERT INTO ledger_count_deltas ({_KEY}, n, amount_fen) "
            f"SELECT '{kind}', policy_version_id, status, district, month, sum(n), "
            f"sum(amount_fen) FROM ({change}) c GROUP BY 2, 3, 4, 5 "
            f"HAVING sum(n) <> 0 OR sum(amount_fen) <> 0; "
            f"RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_count_{action} AFTER {action.upper()} ON {table} "
            f"REFERENCING {referencing[action]} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, _kind, _amount in _COUNTED:
        for action in ("insert", "update", "delete"):
            if sqlite:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_count_{action}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_count_{action} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS huiqi_count_{table}_{action}()")
    op.drop_table("ledger_count_deltas")
    op.drop_table("ledger_counts")
