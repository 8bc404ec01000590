"""The dashboards' counters: delivery records and grants per policy version, status,
district (the enterprise's recorded one) and month, with their amounts, maintained by database triggers in the same
transaction as the rows they count (migrations 0005, 0017, 0018, 0019 and 0020 explain how).

On PostgreSQL two transactions writing the same enterprise's directory entry and its
records stay exact in either order: the counting triggers take one advisory "district
lock" in shared mode, the directory's triggers in exclusive mode when they move counts,
so the second waits for the first and then sees what it wrote (migration 0019).

A reader sums ``ledger_counts`` and the deltas not yet folded in, so a figure is exact
the moment the transaction that changed the ledger commits; :func:`compact` folds the
deltas (PostgreSQL only writes them) into the counters so that readers stay fast, and
runs after each bulk delivery, each export and each payment import.

On SQLite a bulk chunk counts the records and grants it inserts itself, one statement
per table (:func:`counted_per_chunk`), instead of a row trigger's upsert per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import BigInteger, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from huiqi.delivery.count_models import LedgerCount, LedgerCountDelta
from huiqi.delivery.models import DirectoryEntry, Entitlement, Grant

KINDS = ("record", "grant")
# The counters' district of an enterprise the ledger's directory records no district for:
# never guessed from its USCC, whose region is the registering authority's (migration 0017).
NO_DISTRICT = ""


def counters(kind: str) -> Any:
    """The counters of ``kind`` and the deltas not yet folded in, as one subquery."""
    parts = [
        select(
            model.policy_version_id,
            model.status,
            model.district,
            model.month,
            model.n,
            model.amount_fen,
        ).where(model.kind == kind)
        for model in (LedgerCount, LedgerCountDelta)
    ]
    return union_all(*parts).subquery("counters")


# The tables a bulk chunk counts itself: (table, kind, amount column), as the triggers do.
_COUNTED = (("entitlements", "record", "computed_fen"), ("grants", "grant", "amount_fen"))
# Their insert triggers (migration 0018), as the database holds them.
_INSERT_TRIGGERS = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    " AND name IN ('entitlements_count_insert', 'grants_count_insert') ORDER BY name"
)


@contextmanager
def counted_per_chunk(session: Session) -> Iterator[None]:
    """Count the records and grants inserted inside the block with one ``INSERT … SELECT
    … GROUP BY`` each when it ends, not with a row trigger's upsert per row (SQLite; on
    PostgreSQL the block runs as it is: its triggers are set-based already).

    The block runs in a savepoint of its own, which sets the one-row pause that the
    insert triggers skip on (migration 0018), drops those two triggers for the block and
    creates them again from their own text at its end, and clears the pause after counting
    every row above the largest ids read before: a failure rolls the rows, the pause, the
    triggers and the counts back together. Inside the block new rows may only be inserted (ids chosen by the database),
    never updated or deleted: the update and delete triggers still count those, and the
    rows' final state is what the block's end counts.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with session.begin_nested():
        after = [
            int(session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0)
            for table, _kind, _amount in _COUNTED
        ]
        # A pause already set is a nested block: the primary key refuses it.
        session.execute(text("INSERT INTO ledger_count_pause (id) VALUES (1)"))
        conn = session.connection()
        # The insert triggers, left out of the block: a trigger whose WHEN is false still
        # runs a trigger program per row, 40 % of a chunk's record insert (docs/benchmarks.md,
        # 2026-12-03 07:20). SQLite's DDL is transactional: no other connection sees them
        # gone, and a failure in the block puts them back with the savepoint.
        triggers = conn.execute(_INSERT_TRIGGERS).all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)
        for (table, kind, amount), last in zip(_COUNTED, after, strict=True):
            session.execute(text(chunk_count_sql(table, kind, amount)), {"after": last})
        session.execute(text("DELETE FROM ledger_count_pause"))


def chunk_count_sql(table: str, kind: str, amount: str) -> str:
    """Add the rows of ``table`` with ids above ``:after`` to the counters (SQLite). The
    grouped columns are written ``+r.…`` so that no index can serve the grouping: SQLite
    otherwise scanned the whole table through its unique index to get the groups in order
    instead of reading the id range (each chunk's count would grow with the ledger)."""
    return (
        "INSERT INTO ledger_counts (kind, policy_version_id, status, district, month, n,"
        f" amount_fen) SELECT '{kind}', +r.policy_version_id, +r.status,"
        " coalesce(d.district_code, ''), substr(r.created_at, 1, 7), count(*),"
        f" coalesce(sum(r.{amount}), 0) FROM {table} r"
        " LEFT JOIN enterprise_directory d ON d.uscc = r.uscc"
        " WHERE r.id > :after GROUP BY 2, 3, 4, 5"
        " ON CONFLICT (kind, policy_version_id, status, district, month)"
        " DO UPDATE SET n = n + excluded.n, amount_fen = amount_fen + excluded.amount_fen"
    )


def compact(session: Session) -> int:
    """Fold the pending deltas into the counters and drop counters that fell to zero;
    return how many deltas were folded. Concurrent compactions are safe: each deletes the
    deltas it folds (a row deleted by one is skipped by the other), and both upsert the
    counters in key order, so they never wait on each other in a cycle."""
    if session.get_bind().dialect.name != "postgresql":
        folded = 0  # SQLite's triggers update the counters directly
    else:
        folded = int(
            session.execute(
                text(
                    "WITH moved AS (DELETE FROM ledger_count_deltas RETURNING kind,"
                    " policy_version_id, status, district, month, n, amount_fen),"
                    " summed AS (SELECT kind, policy_version_id, status, district, month,"
                    " sum(n) AS n, sum(amount_fen) AS amount_fen, count(*) AS deltas"
                    " FROM moved GROUP BY 1, 2, 3, 4, 5),"
                    " folded AS (INSERT INTO ledger_counts AS c (kind, policy_version_id,"
                    " status, district, month, n, amount_fen)"
                    " SELECT kind, policy_version_id, status, district, month, n, amount_fen"
                    " FROM summed ORDER BY 1, 2, 3, 4, 5"
                    " ON CONFLICT (kind, policy_version_id, status, district, month)"
                    " DO UPDATE SET n = c.n + excluded.n,"
                    " amount_fen = c.amount_fen + excluded.amount_fen)"
                    " SELECT coalesce(sum(deltas), 0) FROM summed"
                )
            ).scalar_one()
        )
    session.execute(
        LedgerCount.__table__.delete().where(  # type: ignore[attr-defined]
            LedgerCount.n == 0, LedgerCount.amount_fen == 0
        )
    )
    return folded


def stored(session: Session, kind: str) -> dict[tuple[int, str, str, str], tuple[int, int]]:
    """The counters as maintained (folded and pending together), keyed like :func:`recount`;
    counters that sum to zero are left out."""
    c = counters(kind)
    keys = (c.c.policy_version_id, c.c.status, c.c.district, c.c.month)
    query = select(*keys, func.sum(c.c.n), func.sum(c.c.amount_fen)).group_by(*keys)
    return {
        (r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5]))
        for r in session.execute(query)
        if r[4] or r[5]
    }


def recount(session: Session, kind: str) -> dict[tuple[int, str, str, str], tuple[int, int]]:
    """The counters recomputed from the ledger's rows (a full scan: for checks and tests),
    keyed by (policy version, status, district, month); the district is the one the
    ledger's directory records for the enterprise, :data:`NO_DISTRICT` when none."""
    model: Any = Entitlement if kind == "record" else Grant
    amount = model.computed_fen if kind == "record" else model.amount_fen
    dialect = session.get_bind().dialect.name
    month = (
        func.substr(model.created_at, 1, 7)
        if dialect == "sqlite"
        else func.to_char(model.created_at, literal("YYYY-MM"))
    )
    district = func.coalesce(DirectoryEntry.district_code, NO_DISTRICT)
    query = (
        select(
            model.policy_version_id,
            model.status,
            district,
            month,
            func.count(),
            func.coalesce(func.sum(amount), 0).cast(BigInteger),
        )
        .outerjoin(DirectoryEntry, DirectoryEntry.uscc == model.uscc)
        .group_by(model.policy_version_id, model.status, district, month)
    )
    return {(r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5])) for r in session.execute(query)}
