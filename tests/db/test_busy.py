"""A busy database gives a clear DatabaseBusy after a bounded retry, never a traceback."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

import huiqi.db.engine as db_engine
from huiqi.cli.main import cli
from huiqi.db.engine import make_engine, session_factory, transaction
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.errors import DatabaseBusy

needs_postgres = pytest.mark.skipif(
    postgres_server_url() is None, reason="PostgreSQL tests need HUIQI_TEST_DATABASE_URL"
)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_engine, "CONNECT_RETRY_DELAYS", (0.1, 0.2, 0.3))


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Engine]:
    if postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    with fresh_database("postgresql", tmp_path) as engine:
        yield engine


@pytest.fixture
def one_connection_role(postgres: Engine) -> Iterator[str]:
    """The URL of a role the server lets hold one connection at a time (a full server in
    miniature: PostgreSQL refuses the second with SQLSTATE 53300, as when max_connections
    is reached)."""
    role = f"huiqi_busy_{uuid.uuid4().hex[:8]}"
    server = postgres_server_url()
    assert server is not None
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1"))
    try:
        yield make_url(postgres.url).set(username=role, password=None).render_as_string()
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


@needs_postgres
def test_exhausted_pool_gives_database_busy_after_bounded_retries(postgres: Engine) -> None:
    tiny = make_engine(postgres.url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    factory = session_factory(tiny)
    try:
        with transaction(factory) as held:
            held.execute(text("SELECT 1"))
            started = time.monotonic()
            with pytest.raises(DatabaseBusy) as err, transaction(factory):
                pytest.fail("the body must not run without a connection")
            elapsed = time.monotonic() - started
    finally:
        tiny.dispose()
    message = str(err.value)
    assert "\n" not in message
    assert "pool stayed in use" in message and "tried 4 times" in message
    assert "nothing was done" in message and "HUIQI_DB_POOL_SIZE" in message
    assert 4 * 0.5 <= elapsed < 4 * 0.5 + 0.6 * 1.2 + 2


@needs_postgres
def test_a_connection_freed_during_the_back_off_is_used(postgres: Engine) -> None:
    tiny = make_engine(postgres.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    factory = session_factory(tiny)
    holding = threading.Event()

    def hold() -> None:
        with transaction(factory) as s:
            s.execute(text("SELECT 1"))
            holding.set()
            time.sleep(0.4)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(5)
        with transaction(factory) as s:
            assert s.execute(text("SELECT 2")).scalar() == 2
    finally:
        holder.join()
        tiny.dispose()


@needs_postgres
def test_full_server_gives_database_busy(one_connection_role: str) -> None:
    engine = make_engine(one_connection_role, pool_size=5, max_overflow=0, pool_timeout=1)
    factory = session_factory(engine)
    try:
        with transaction(factory) as held:
            held.execute(text("SELECT 1"))
            with pytest.raises(DatabaseBusy, match="no free connection slot") as err:
                other = make_engine(one_connection_role)
                try:
                    with transaction(session_factory(other)):
                        pass
                finally:
                    other.dispose()
    finally:
        engine.dispose()
    assert "max_connections" in str(err.value) and "tried 4 times" in str(err.value)


@needs_postgres
def test_cli_on_a_full_server_prints_one_line_and_exits_1(
    one_connection_role: str, tmp_path: Path
) -> None:
    holder = make_engine(one_connection_role)
    try:
        with holder.connect():
            result = CliRunner().invoke(
                cli,
                ["--data-dir", str(tmp_path), "--database-url", one_connection_role, "grants"],
            )
    finally:
        holder.dispose()
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the database is busy"), result.output


def test_sqlite_locked_by_another_process_gives_database_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_SECONDS", 0.2)
    path = tmp_path / "huiqi.db"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)  # outside this engine's writer gate
    try:
        other.execute("BEGIN IMMEDIATE")
        with (
            pytest.raises(DatabaseBusy, match="SQLite database's write lock") as err,
            transaction(session_factory(engine)),
        ):
            pytest.fail("the body must not run without the write lock")
        assert "tried" not in str(err.value)  # SQLite's busy timeout was the wait
        other.execute("ROLLBACK")
        with transaction(session_factory(engine)) as s:
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        other.close()
        engine.dispose()


def test_sqlite_transaction_ended_on_another_thread_frees_the_writer(tmp_path: Path) -> None:
    """Regression: the writer lock was per thread, so a commit on another thread raised
    'cannot release un-acquired lock' (suppressed) and left every later writer waiting."""
    engine = make_engine(f"sqlite:///{tmp_path / 'huiqi.db'}")
    try:
        conn = engine.connect()
        conn.begin()
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        errors: list[BaseException] = []

        def finish() -> None:
            try:
                conn.commit()
                conn.close()
            except BaseException as exc:
                errors.append(exc)

        finisher = threading.Thread(target=finish)
        finisher.start()
        finisher.join(5)
        assert errors == []
        wrote = threading.Event()

        def write() -> None:
            with transaction(session_factory(engine)) as s:
                s.execute(text("INSERT INTO t VALUES (1)"))
            wrote.set()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert wrote.wait(5), "the writer gate was never given back"
    finally:
        engine.dispose()


def test_sqlite_failed_begin_gives_back_only_its_own_gate(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'huiqi.db'}")
    factory = session_factory(engine)
    try:
        for _ in range(3):  # a body error rolls back and frees the gate each time
            with pytest.raises(ZeroDivisionError), transaction(factory):
                _ = 1 / 0
        with transaction(factory) as s:
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
