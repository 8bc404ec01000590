"""Reads never wait behind a writer, and a reading transaction cannot write."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import is_reading, reading, reading_connection, transaction
from huiqi.delivery.models import Batch
from huiqi.delivery.tables import batches


def test_a_read_finishes_while_a_writer_holds_the_database(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: every session began with BEGIN IMMEDIATE on SQLite, so an inbox read
    during a 100,000-grant export waited 30 s for the write lock and then failed."""
    with transaction(sessions) as s:
        s.add(Batch(created_by="finance", grants=1, total_fen=1))
    writing = threading.Event()
    reader_done = threading.Event()
    outcome: list[bool] = []

    def writer() -> None:
        with transaction(sessions) as s:
            s.add(Batch(created_by="finance", grants=2, total_fen=2))
            s.flush()  # holds the write lock (and its rows) until commit
            writing.set()
            # True only if the reader finished while this transaction was still open.
            outcome.append(reader_done.wait(timeout=20))

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(timeout=20)
    with reading(sessions) as s:
        assert is_reading(s)
        seen = s.scalar(select(func.count()).select_from(Batch))
    reader_done.set()
    thread.join()
    assert outcome == [True]
    assert seen == 1  # the last commit, not the writer's uncommitted row


def test_a_reading_transaction_refuses_to_write(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(DBAPIError, match=r"(?i)read.?only"), reading(sessions) as s:
        s.add(Batch(created_by="finance", grants=1, total_fen=1))
        s.flush()
    # The connection went back to the pool writable: the next transaction writes.
    with transaction(sessions) as s:
        assert not is_reading(s)
        s.add(Batch(created_by="finance", grants=1, total_fen=1))
    with reading(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 1


def test_a_sqlite_connection_keeps_a_page_cache_big_enough_for_a_delivery_chunk(
    sessions: sessionmaker[Session],
) -> None:
    """With SQLite's default 2 MiB cache, a 5,000-grant chunk outgrows the cache and spills
    dirty pages to the WAL before commit (bulk auto-grant of 50,000, two alternating
    pairs under load: 58 and 57 s wall against 46 and 45 s with 64 MiB)."""
    from huiqi.db.sqlitegate import SQLITE_CACHE_KIB

    with reading(sessions) as s:
        if s.get_bind().dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
        assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() == SQLITE_CACHE_KIB
        assert SQLITE_CACHE_KIB <= -32_768  # at least 32 MiB


def test_a_sqlite_connection_keeps_savepoint_journals_in_memory(
    sessions: sessionmaker[Session],
) -> None:
    """A bulk chunk runs in a savepoint; with journals in temporary files its database
    CPU was about half as much again (docs/benchmarks.md, 2026-12-02 evening)."""
    with reading(sessions) as s:
        if s.get_bind().dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
        assert s.connection().exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY


def test_a_core_reading_connection_refuses_to_write(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """reading_connection (the command-line listings, without the ORM) is reading(): a
    read-only transaction whose connection goes back to the pool writable."""
    with (
        pytest.raises(DBAPIError, match=r"(?i)read.?only"),
        reading_connection(engine) as conn,
    ):
        assert is_reading(conn)
        conn.execute(insert(batches).values(created_by="finance", grants=1, total_fen=1))
    with transaction(sessions) as s:
        assert not is_reading(s)
        s.add(Batch(created_by="finance", grants=1, total_fen=1))
    with reading_connection(engine) as conn:
        assert conn.scalar(select(func.count()).select_from(batches)) == 1


def test_a_bookkeeping_write_is_skipped_not_waited_for_while_a_writer_holds_the_row(
    sessions: sessionmaker[Session],
) -> None:
    """A token's last use is written by ``write_if_free``: while another transaction holds
    SQLite's write lock (or, on PostgreSQL, the row), it gives up at once instead of
    making the reader wait; once the writer is done it writes."""
    import time

    from sqlalchemy import update

    from huiqi.db.engine import write_if_free

    with transaction(sessions) as s:
        s.add(Batch(created_by="finance", grants=1, total_fen=1))
    engine = sessions.kw["bind"]
    touch = update(batches).where(batches.c.id == 1).values(grants=batches.c.grants + 1)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with transaction(sessions) as s:
            s.execute(update(batches).where(batches.c.id == 1).values(total_fen=2))
            holding.set()
            release.wait(timeout=20)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(timeout=20)
        started = time.monotonic()
        assert write_if_free(engine, lambda conn: conn.execute(touch)) is False
        assert time.monotonic() - started < 5  # the busy timeout is 30 s
    finally:
        release.set()
        thread.join()
    assert write_if_free(engine, lambda conn: conn.execute(touch)) is True
    with reading(sessions) as s:
        assert s.execute(select(batches.c.grants, batches.c.total_fen)).one() == (2, 2)
    # The connection went back to the pool with its usual busy timeout.
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
