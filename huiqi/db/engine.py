"""Engines and sessions for the operational database.

The URL comes from ``HUIQI_DATABASE_URL``; without it huiqi uses an embedded
SQLite file ``<data dir>/huiqi.db`` in WAL mode. PostgreSQL is selected by a
URL such as ``postgresql+psycopg://user@host:5432/huiqi``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from huiqi.config import Settings
from huiqi.fsmode import create_private_file

DATABASE_URL_ENV = "HUIQI_DATABASE_URL"


def database_url(settings: Settings, url: str | None = None) -> str:
    """The database URL: explicit, else ``HUIQI_DATABASE_URL``, else SQLite in the data dir."""
    chosen = url or os.environ.get(DATABASE_URL_ENV)
    if chosen:
        return normalise_url(chosen)
    settings.ensure_data_dir()
    return f"sqlite:///{settings.data_dir / 'huiqi.db'}"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers run while one writer commits; busy_timeout makes concurrent
    # writers wait for the lock instead of failing at once.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so read-then-write transactions cannot deadlock
    # into "database is locked" halfway; concurrent claims queue on busy_timeout.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An Engine with the settings huiqi needs on each backend."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            # Created 0600 before SQLite opens it: its -wal and -shm files copy its permissions.
            create_private_file(Path(database))
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves

        # One writer at a time in this process, queued on a lock: SQLite's own busy handler
        # sleeps with back-off, so under 50 concurrent claims some waiters lost for seconds.
        writer = threading.RLock()

        def _take(conn: Any) -> None:
            writer.acquire()
            try:
                _sqlite_begin_immediate(conn)
            except BaseException:
                writer.release()
                raise

        def _give(conn: Any) -> None:
            # Not held by this thread when its BEGIN failed: then there is nothing to give back.
            with contextlib.suppress(RuntimeError):
                writer.release()

        event.listen(engine, "begin", _take)
        event.listen(engine, "commit", _give)
        event.listen(engine, "rollback", _give)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 40)
    # No server-side prepared statements: a generic plan for "uscc IN ($1 … $5000)" cannot
    # hash the list and turns each delivery chunk into a scan per value (measured: a
    # 100,000-grant run went from 27 s to 200 s once psycopg started preparing).
    connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def open_database(settings: Settings, url: str | None = None) -> sessionmaker[Session]:
    """Connect to the operational database, bringing its schema up to date first."""
    from huiqi.db.migrate import upgrade

    engine = make_engine(database_url(settings, url))
    upgrade(engine)
    return session_factory(engine)
