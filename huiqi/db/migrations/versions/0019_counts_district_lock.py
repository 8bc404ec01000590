"""PostgreSQL: the counters stay exact when an enterprise's district is recorded for the
first time while one of its records or grants is written

0017's counting triggers read each counted row's district from the directory under
``FOR SHARE``. That lock covers rows that exist, not a key with no row yet: when one
transaction inserts an enterprise's directory row while another writes a record of the
same USCC, the record's trigger found no row (the insert was uncommitted) and counted it
under ``''``, the directory's insert trigger did not see the uncommitted record, and both
committed: "no district" where a recount says the new one (docs/benchmarks.md, "Found,
not fixed"). The same held for a row whose USCC an update changed to the record's.

Both sides now meet on one transaction-scoped advisory lock, the *district lock*:

- every counting statement trigger (records and grants: insert, update, delete) takes it
  in shared mode before it reads any district. Shared holders never wait on each other,
  so bulk chunks of any number of deliveries run side by side as before; each takes it
  once per statement, whatever its number of rows (a row-by-row ``FOR SHARE`` wrote a
  lock into every directory row it read, and is gone);
- every directory write that can move a count takes it in exclusive mode before it
  reads the ledger: an insert or a delete of a row with a district, and an update that
  changes a row's district or USCC (the row trigger's ``WHEN`` already skips the others).
  A directory refresh that records nothing new takes nothing.

Whichever comes second waits for the first to commit and then, each statement of a
PL/pgSQL trigger reading with a fresh snapshot under READ COMMITTED (huiqi's isolation
level), sees what the first wrote: a counting trigger reads the new district, or the
directory's trigger moves the rows just committed. One key and not one per USCC: a bulk
chunk of 5,000 enterprises would hold 5,000 entries of the server's shared lock table,
which PostgreSQL 15's defaults (``max_locks_per_transaction`` 64, ``max_connections``
100) size for 12,000-15,000 (measured: a third concurrent transaction of 5,000 keys, or
one of 15,000, fails with "out of shared memory"), and a refresh recording 100,000
enterprises would need 100,000; keys hashed into a few buckets would fit, but the
directory's update row trigger takes them one row at a time, in no fixed order, so a
refresh and a chunk could deadlock. With one key there is no order to keep. The price: a directory write that moves counts waits for
the counting transactions in flight (a chunk is a fraction of a second) and holds new
ones back until it commits.

The upgrade recounts every counter once (the gap may have left some wrong). SQLite is
untouched: one writer at a time, so nothing there can interleave.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 03:00:00
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_COUNTED = (("entitlements", "record", "computed_fen"), ("grants", "grant", "amount_fen"))
_KEY = "kind, policy_version_id, status, district, month"
_NONE = "''"  # the district of an enterprise with none recorded
# The district lock's two-integer key: 0x68756971 is "huiq" in ASCII. The two-integer
# form never meets a one-bigint advisory key (huiqi.db.testing's template lock).
_LOCK = "1752525169, 19"


def _month(row: str) -> str:
    return f"to_char({row}.created_at, 'YYYY-MM')"


def _district(row: str) -> str:
    """The recorded district of ``row``'s enterprise, '' when none is recorded."""
    return (
        f"coalesce((SELECT d.district_code FROM enterprise_directory d "
        f"WHERE d.uscc = {row}.uscc), '')"
    )


def _function(function: str, lock: str, change: str) -> None:
    """A trigger function that runs ``lock``, then appends ``change``'s rows, summed per
    counter, to the deltas (the counting runs after the lock, with its own snapshot)."""
    op.execute(
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
        f"{lock} "
        f"INSERT INTO ledger_count_deltas ({_KEY}, n, amount_fen) "
        f"SELECT kind, policy_version_id, status, district, month, sum(n), "
        f"sum(amount_fen) FROM ({change}) c GROUP BY 1, 2, 3, 4, 5 "
        f"HAVING sum(n) <> 0 OR sum(amount_fen) <> 0; "
        f"RETURN NULL; END $$ LANGUAGE plpgsql"
    )


def _shared(name: str) -> str:
    """The district lock in shared mode, when the statement changed a row at all."""
    return f"PERFORM pg_advisory_xact_lock_shared({_LOCK}) WHERE EXISTS (SELECT 1 FROM {name});"


def _exclusive(name: str) -> str:
    """The district lock in exclusive mode, when a row of ``name`` records a district."""
    return (
        f"PERFORM pg_advisory_xact_lock({_LOCK}) WHERE EXISTS (SELECT 1 FROM {name} x "
        f"WHERE coalesce(x.district_code, '') <> '');"
    )


def _counting_functions() -> None:
    for table, kind, amount in _COUNTED:

        def rows(name: str, sign: str, amount: str = amount) -> str:
            return (
                f"SELECT r.policy_version_id, r.status, {_district('r')} AS district, "
                f"{_month('r')} AS month, {sign}1 AS n, "
                f"{sign}coalesce(r.{amount}, 0) AS amount_fen FROM {name} r"
            )

        changes = {
            "insert": ("new_rows", rows("new_rows", "")),
            "update": ("new_rows", f"{rows('old_rows', '-')} UNION ALL {rows('new_rows', '')}"),
            "delete": ("old_rows", rows("old_rows", "-")),
        }
        for action, (name, change) in changes.items():
            _function(
                f"huiqi_count_{table}_{action}",
                _shared(name),
                f"SELECT '{kind}' AS kind, policy_version_id, status, district, month, n, "
                f"amount_fen FROM ({change}) c",
            )


def _directory_functions() -> None:
    def rows(moved: str, district: str, sign: str) -> str:
        """The rows of the enterprises in ``moved`` (uscc, district), under ``district``:
        an index probe on (uscc, id) per enterprise (a lateral subquery kept by OFFSET 0)."""
        return " UNION ALL ".join(
            f"SELECT '{kind}' AS kind, r.policy_version_id, r.status, {district} AS district, "
            f"r.month, {sign}1 AS n, {sign}r.amount_fen AS amount_fen "
            f"FROM ({moved}) m CROSS JOIN LATERAL (SELECT e.policy_version_id, e.status, "
            f"{_month('e')} AS month, coalesce(e.{amount}, 0) AS amount_fen "
            f"FROM {table} e WHERE e.uscc = m.uscc OFFSET 0) r"
            for table, kind, amount in _COUNTED
        )

    def pairs(name: str) -> str:
        return f"SELECT x.uscc, coalesce(x.district_code, '') AS district FROM {name} x"

    into = f"{rows(pairs('new_rows'), _NONE, '-')} UNION ALL {rows(pairs('new_rows'), 'm.district', '')}"
    out = f"{rows(pairs('old_rows'), 'm.district', '-')} UNION ALL {rows(pairs('old_rows'), _NONE, '')}"
    _function("huiqi_count_enterprise_directory_insert", _exclusive("new_rows"), into)
    _function("huiqi_count_enterprise_directory_delete", _exclusive("old_rows"), out)

    def of(uscc: str, district: str, sign: str) -> str:
        return " UNION ALL ".join(
            f"SELECT '{kind}' AS kind, e.policy_version_id, e.status, {district} AS district, "
            f"{_month('e')} AS month, {sign}1 AS n, "
            f"{sign}coalesce(e.{amount}, 0) AS amount_fen FROM {table} e WHERE e.uscc = {uscc}"
            for table, kind, amount in _COUNTED
        )

    old, new = "coalesce(OLD.district_code, '')", "coalesce(NEW.district_code, '')"
    change = " UNION ALL ".join(
        [
            of("OLD.uscc", old, "-"),
            of("OLD.uscc", _NONE, ""),
            of("NEW.uscc", _NONE, "-"),
            of("NEW.uscc", new, ""),
        ]
    )
    # A row trigger whose WHEN (0017's) passes only the rows that move counts.
    _function(
        "huiqi_count_enterprise_directory_update",
        f"PERFORM pg_advisory_xact_lock({_LOCK});",
        change,
    )


def _recount() -> None:
    op.execute("DELETE FROM ledger_count_deltas")
    op.execute("DELETE FROM ledger_counts")
    for table, kind, amount in _COUNTED:
        op.execute(
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) "
            f"SELECT '{kind}', r.policy_version_id, r.status, coalesce(d.district_code, ''), "
            f"{_month('r')}, count(*), coalesce(sum(r.{amount}), 0) "
            f"FROM {table} r LEFT JOIN enterprise_directory d ON d.uscc = r.uscc "
            f"GROUP BY 2, 3, 4, 5"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    # The triggers (0017's) keep their names and call these functions by name.
    _counting_functions()
    _directory_functions()
    _recount()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    # 0017's functions, as they were: its own helpers drop and create them.
    before = importlib.import_module(
        "huiqi.db.migrations.versions.0017_counts_by_recorded_district"
    )
    before._drop_row_triggers(False)
    for action in ("insert", "update", "delete"):
        op.execute(
            f"DROP TRIGGER IF EXISTS enterprise_directory_count_{action} ON enterprise_directory"
        )
        op.execute(f"DROP FUNCTION IF EXISTS huiqi_count_enterprise_directory_{action}()")
    for table, kind, amount in _COUNTED:
        before._postgres_row_triggers(table, kind, amount)
    before._postgres_directory_triggers()
