"""Planner statistics after a bulk write.

A bulk delivery adds rows by the hundred thousand. PostgreSQL plans from statistics that
autovacuum refreshes in its own time (and not at all where it is switched off): until
then it may take a million-row table for a small one and walk a primary key to find one
enterprise's rows (0.5-1.25 s at 6.4 M records, instead of a millisecond). ``ANALYZE``
samples a fixed number of rows per table, so it costs a fraction of a second whatever
the size; SQLite's planner does not need it for these queries.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

BULK = 10_000  # rows written: from here the statistics are refreshed
LEDGER_TABLES = ("entitlements", "grants", "events", "notifications")


def refresh_after_bulk(factory: sessionmaker[Session], rows: int) -> bool:
    """ANALYZE the ledger's large tables on PostgreSQL after ``rows`` were written in bulk
    (at least ``BULK``); True when it ran."""
    if rows < BULK:
        return False
    with factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            return False
        session.execute(text(f"ANALYZE {', '.join(LEDGER_TABLES)}"))  # fixed names only
        session.commit()
    return True
