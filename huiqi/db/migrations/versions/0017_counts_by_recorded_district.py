"""the dashboards count by the enterprise's recorded district, not its USCC's region

0005 keyed the counters by ``substr(uscc, 3, 6)``: characters 3-8 of a USCC name the
authority that registered the enterprise, frozen at registration, so an enterprise of
闸北区 counted under the retired 310108, and one that moved counted where it started
(reference/standards.md §1.1, §4). The district is now the one the ledger's directory
records for the enterprise (``enterprise_directory.district_code``, from the profile
data of its latest delivery); an enterprise with none counts under ``''``, the
"no district recorded" bucket, never a district guessed from its USCC.

The counters stay equal to a recount of (rows joined to the directory) in the same
transaction as any change to either:

- a record's or grant's triggers read its enterprise's district from the directory, a
  primary-key probe per row (a correlated subquery, never a join the planner could turn
  into a scan of the directory). On PostgreSQL the probe takes a share lock on the
  directory row, so a concurrent change of the enterprise's district waits for the
  record's transaction (or the record's for it) instead of both counting from a stale
  district;
- the directory's own triggers move an enterprise's rows from its old district's
  counters to its new one's when its district is recorded, changed or dropped (an index
  probe on ``(uscc, id)`` per enterprise whose district changed; on PostgreSQL a lateral
  subquery the planner cannot flatten, so that a large refresh never scans the ledger).

The upgrade recounts every existing row (one scan, once) and replaces 0005's triggers.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the text it was written with.
_COUNTED = (("entitlements", "record", "computed_fen"), ("grants", "grant", "amount_fen"))
_KEY = "kind, policy_version_id, status, district, month"
_FOLD = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = n + excluded.n, amount_fen = amount_fen + excluded.amount_fen"
_ACTIONS = ("insert", "update", "delete")
_NONE = "''"  # the district of an enterprise with none recorded


def _month(sqlite: bool, row: str) -> str:
    return f"substr({row}.created_at, 1, 7)" if sqlite else f"to_char({row}.created_at, 'YYYY-MM')"


def _district(row: str, lock: str = "") -> str:
    """The recorded district of ``row``'s enterprise, '' when none is recorded."""
    return (
        f"coalesce((SELECT d.district_code FROM enterprise_directory d "
        f"WHERE d.uscc = {row}.uscc{lock}), '')"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_row_triggers(sqlite)
    op.execute("DELETE FROM ledger_count_deltas")
    op.execute("DELETE FROM ledger_counts")
    for table, kind, amount in _COUNTED:
        op.execute(
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) "
            f"SELECT '{kind}', r.policy_version_id, r.status, coalesce(d.district_code, ''), "
            f"{_month(sqlite, 'r')}, count(*), coalesce(sum(r.{amount}), 0) "
            f"FROM {table} r LEFT JOIN enterprise_directory d ON d.uscc = r.uscc "
            f"GROUP BY 2, 3, 4, 5"
        )
        if sqlite:
            _sqlite_row_triggers(table, kind, amount)
        else:
            _postgres_row_triggers(table, kind, amount)
    if sqlite:
        _sqlite_directory_triggers()
    else:
        _postgres_directory_triggers()


def _drop_row_triggers(sqlite: bool) -> None:
    for table, _kind, _amount in _COUNTED:
        for action in _ACTIONS:
            if sqlite:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_count_{action}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_count_{action} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS huiqi_count_{table}_{action}()")


def _sqlite_row_triggers(table: str, kind: str, amount: str) -> None:
    def add(row: str, sign: str) -> str:
        return (
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) VALUES ('{kind}', "
            f"{row}.policy_version_id, {row}.status, {_district(row)}, "
            f"{_month(True, row)}, {sign}1, {sign}coalesce({row}.{amount}, 0)) {_FOLD};"
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


def _sqlite_directory_triggers() -> None:
    def move(uscc: str, district: str, sign: str) -> str:
        """Add (sign '') or take out (sign '-') the rows of ``uscc`` under ``district``."""
        return "".join(
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) "
            f"SELECT '{kind}', r.policy_version_id, r.status, {district}, "
            f"{_month(True, 'r')}, {sign}count(*), {sign}coalesce(sum(r.{amount}), 0) "
            f"FROM {table} r WHERE r.uscc = {uscc} GROUP BY 2, 3, 4, 5 {_FOLD};"
            for table, kind, amount in _COUNTED
        )

    old, new = "coalesce(OLD.district_code, '')", "coalesce(NEW.district_code, '')"
    op.execute(
        "CREATE TRIGGER enterprise_directory_count_insert AFTER INSERT ON enterprise_directory "
        "WHEN NEW.district_code IS NOT NULL AND NEW.district_code <> '' "
        f"BEGIN {move('NEW.uscc', _NONE, '-')} {move('NEW.uscc', new, '')} END"
    )
    op.execute(
        "CREATE TRIGGER enterprise_directory_count_update AFTER UPDATE OF uscc, district_code "
        f"ON enterprise_directory WHEN OLD.uscc IS NOT NEW.uscc OR {old} IS NOT {new} "
        f"BEGIN {move('OLD.uscc', old, '-')} {move('OLD.uscc', _NONE, '')} "
        f"{move('NEW.uscc', _NONE, '-')} {move('NEW.uscc', new, '')} END"
    )
    op.execute(
        "CREATE TRIGGER enterprise_directory_count_delete AFTER DELETE ON enterprise_directory "
        "WHEN OLD.district_code IS NOT NULL AND OLD.district_code <> '' "
        f"BEGIN {move('OLD.uscc', old, '-')} {move('OLD.uscc', _NONE, '')} END"
    )


def _postgres_row_triggers(table: str, kind: str, amount: str) -> None:
    def rows(name: str, sign: str) -> str:
        return (
            f"SELECT r.policy_version_id, r.status, {_district('r', ' FOR SHARE')} AS district, "
            f"{_month(False, 'r')} AS month, {sign}1 AS n, "
            f"{sign}coalesce(r.{amount}, 0) AS amount_fen FROM {name} r"
        )

    changes = {
        "insert": rows("new_rows", ""),
        "update": f"{rows('old_rows', '-')} UNION ALL {rows('new_rows', '')}",
        "delete": rows("old_rows", "-"),
    }
    for action, change in changes.items():
        _postgres_trigger(
            table,
            action,
            f"SELECT '{kind}' AS kind, policy_version_id, status, district, month, n, amount_fen FROM ({change}) c",
        )


_REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _postgres_delta_function(function: str, change: str) -> None:
    """A trigger function appending ``change``'s rows, summed per counter, to the deltas."""
    op.execute(
        f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
        f"INSERT INTO ledger_count_deltas ({_KEY}, n, amount_fen) "
        f"SELECT kind, policy_version_id, status, district, month, sum(n), "
        f"sum(amount_fen) FROM ({change}) c GROUP BY 1, 2, 3, 4, 5 "
        f"HAVING sum(n) <> 0 OR sum(amount_fen) <> 0; "
        f"RETURN NULL; END $$ LANGUAGE plpgsql"
    )


def _postgres_trigger(table: str, action: str, change: str) -> None:
    """A statement trigger appending ``change``'s rows, summed per counter, to the deltas."""
    function = f"huiqi_count_{table}_{action}"
    _postgres_delta_function(function, change)
    op.execute(
        f"CREATE TRIGGER {table}_count_{action} AFTER {action.upper()} ON {table} "
        f"REFERENCING {_REFERENCING[action]} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def _postgres_directory_triggers() -> None:
    def rows(moved: str, district: str, sign: str) -> str:
        """The rows of the enterprises in ``moved`` (uscc, district), under ``district``:
        a lateral subquery the planner cannot flatten (OFFSET 0), so each enterprise is an
        index probe on (uscc, id) whatever the number of enterprises moved."""
        return " UNION ALL ".join(
            f"SELECT '{kind}' AS kind, r.policy_version_id, r.status, {district} AS district, "
            f"r.month, {sign}1 AS n, {sign}r.amount_fen AS amount_fen "
            f"FROM ({moved}) m CROSS JOIN LATERAL (SELECT e.policy_version_id, e.status, "
            f"{_month(False, 'e')} AS month, coalesce(e.{amount}, 0) AS amount_fen "
            f"FROM {table} e WHERE e.uscc = m.uscc OFFSET 0) r"
            for table, kind, amount in _COUNTED
        )

    def pairs(name: str, other: str | None) -> str:
        """(uscc, district) of ``name``'s rows whose district ``other`` does not keep."""
        keep = (
            f" WHERE NOT EXISTS (SELECT 1 FROM {other} k WHERE k.uscc = x.uscc "
            f"AND coalesce(k.district_code, '') = coalesce(x.district_code, ''))"
            if other
            else ""
        )
        return f"SELECT x.uscc, coalesce(x.district_code, '') AS district FROM {name} x{keep}"

    def out(name: str, other: str | None) -> str:
        return f"{rows(pairs(name, other), 'm.district', '-')} UNION ALL {rows(pairs(name, other), _NONE, '')}"

    def into(name: str, other: str | None) -> str:
        return f"{rows(pairs(name, other), _NONE, '-')} UNION ALL {rows(pairs(name, other), 'm.district', '')}"

    _postgres_trigger("enterprise_directory", "insert", into("new_rows", None))
    _postgres_trigger("enterprise_directory", "delete", out("old_rows", None))

    # An update is a row trigger whose WHEN skips the rows whose district is unchanged
    # without calling anything: a delivery refreshes every entry it delivers to, and
    # almost none of them moves.
    def of(uscc: str, district: str, sign: str) -> str:
        return " UNION ALL ".join(
            f"SELECT '{kind}' AS kind, e.policy_version_id, e.status, {district} AS district, "
            f"{_month(False, 'e')} AS month, {sign}1 AS n, "
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
    _postgres_delta_function("huiqi_count_enterprise_directory_update", change)
    op.execute(
        "CREATE TRIGGER enterprise_directory_count_update AFTER UPDATE OF uscc, district_code "
        "ON enterprise_directory FOR EACH ROW "
        f"WHEN (OLD.uscc IS DISTINCT FROM NEW.uscc OR {old} IS DISTINCT FROM {new}) "
        "EXECUTE FUNCTION huiqi_count_enterprise_directory_update()"
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_row_triggers(sqlite)
    for action in _ACTIONS:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS enterprise_directory_count_{action}")
        else:
            op.execute(
                f"DROP TRIGGER IF EXISTS enterprise_directory_count_{action} ON enterprise_directory"
            )
            op.execute(f"DROP FUNCTION IF EXISTS huiqi_count_enterprise_directory_{action}()")
    op.execute("DELETE FROM ledger_count_deltas")
    op.execute("DELETE FROM ledger_counts")
    before = importlib.import_module("huiqi.db.migrations.versions.0005_ledger_counts")
    for table, kind, amount in _COUNTED:
        month = "substr({r}.created_at, 1, 7)" if sqlite else "to_char({r}.created_at, 'YYYY-MM')"
        op.execute(
            f"INSERT INTO ledger_counts ({_KEY}, n, amount_fen) "
            f"SELECT '{kind}', r.policy_version_id, r.status, substr(r.uscc, 3, 6), "
            f"{month.format(r='r')}, count(*), coalesce(sum(r.{amount}), 0) "
            f"FROM {table} r GROUP BY 2, 3, 4, 5"
        )
        if sqlite:
            before._sqlite_triggers(table, kind, amount, month)
        else:
            before._postgres_triggers(table, kind, amount, month)
