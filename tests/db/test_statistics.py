"""After a bulk delivery the ledger's statistics are refreshed on PostgreSQL (its planner
walked a primary key for one enterprise's rows at 6.4 M records while autovacuum had not
analysed the tables yet); small writes and SQLite leave them alone."""

from __future__ import annotations

from sqlalchemy import Engine, text

from huiqi.db.engine import session_factory
from huiqi.db.statistics import BULK, LEDGER_TABLES, refresh_after_bulk


def _analysed(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        )
        return {r[0] for r in rows}


def test_a_bulk_write_refreshes_the_ledgers_statistics(engine: Engine) -> None:
    factory = session_factory(engine)
    assert refresh_after_bulk(factory, BULK - 1) is False
    ran = refresh_after_bulk(factory, BULK)
    if engine.dialect.name == "sqlite":
        assert ran is False
        return
    assert ran is True
    assert set(LEDGER_TABLES) <= _analysed(engine)
