"""Engines and sessions for the operational database.

The URL comes from ``HUIQI_DATABASE_URL``; without it huiqi uses an embedded
SQLite file ``<data dir>/huiqi.db`` in WAL mode. PostgreSQL is selected by a
URL such as ``postgresql+psycopg://user@host:5432/huiqi``, its password from
``HUIQI_DATABASE_PASSWORD(_FILE)`` and its pool from ``HUIQI_DB_POOL_*`` (see
:mod:`huiqi.db.settings`). A URL is only ever shown with its password hidden.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, RootTransaction
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from huiqi.config import Settings
from huiqi.db.busy import SQLITE, busy_error, busy_kind
from huiqi.db.jsontext import compact_json
from huiqi.db.nul import refuse_nul
from huiqi.db.settings import DATABASE_URL_ENV, parse_url, pool_options, with_password
from huiqi.db.sqlitegate import NO_WAIT, READ_ONLY, WriterGate, sqlite_pragmas
from huiqi.errors import DatabaseBusy, DatabaseUnavailable
from huiqi.fsmode import create_private_file

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

    # What a read takes: an ORM session, or a Core connection (``reading_connection``).
    Reads = Session | Connection

# The ORM (sqlalchemy.orm) is imported by session_factory, not here: the listings read
# through Core connections and never load it (tests/cli/test_lazy.py).

__all__ = [
    "DATABASE_URL_ENV",
    "connect",
    "database_url",
    "is_reading",
    "make_engine",
    "open_database",
    "open_engine",
    "reading",
    "reading_connection",
    "transaction",
]

_T = TypeVar("_T")

log = logging.getLogger("huiqi.db")

# How long a SQLite writer waits for the write lock (in this process and from others).
SQLITE_BUSY_SECONDS = 30.0
# Back-off between attempts to get a connection when the pool or the server is full.
CONNECT_RETRY_DELAYS = (0.25, 0.5, 1.0)
# How long a NO_WAIT write (sqlitegate) waits for a row lock on PostgreSQL.
NO_WAIT_LOCK_MS = 200


def database_url(settings: Settings, url: str | None = None) -> URL:
    """The database URL: explicit, else ``HUIQI_DATABASE_URL``, else SQLite in the data dir;
    with the password from ``HUIQI_DATABASE_PASSWORD(_FILE)`` filled in."""
    chosen = url or os.environ.get(DATABASE_URL_ENV)
    if chosen:
        return with_password(parse_url(chosen))
    settings.ensure_data_dir()
    return URL.create("sqlite", database=str(settings.data_dir / "huiqi.db"))


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    return parse_url(url).render_as_string(hide_password=False)


def shown(url: str | URL) -> str:
    """A URL as it may appear in a message or a log: password hidden."""
    return parse_url(url).render_as_string(hide_password=True)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An Engine with the settings huiqi needs on each backend.

    PostgreSQL pools follow ``HUIQI_DB_POOL_SIZE``, ``HUIQI_DB_MAX_OVERFLOW`` and
    ``HUIQI_DB_POOL_TIMEOUT`` unless ``kwargs`` say otherwise.
    """
    parsed = parse_url(url)
    # JSON columns as compact UTF-8 text: Chinese labels as \u escapes took twice the
    # bytes (explanations are stored with every delivery record and grant).
    kwargs.setdefault("json_serializer", compact_json)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            # Created 0600 before SQLite opens it: its -wal and -shm files copy its permissions.
            create_private_file(Path(database))
        busy = SQLITE_BUSY_SECONDS
        engine = create_engine(
            parsed, connect_args={"check_same_thread": False, "timeout": busy}, **kwargs
        )
        event.listen(engine, "connect", sqlite_pragmas(busy))
        gate = WriterGate(busy)
        event.listen(engine, "begin", gate.begin)
        event.listen(engine, "commit", gate.end)
        event.listen(engine, "rollback", gate.end)
        event.listen(engine, "checkin", gate.checkin)
        return engine
    if "poolclass" not in kwargs:
        for key, value in pool_options().items():
            kwargs.setdefault(key, value)
    # No server-side prepared statements: a generic plan for "uscc IN ($1 … $5000)" cannot
    # hash the list and turns each delivery chunk into a scan per value (measured: a
    # 100,000-grant run went from 27 s to 200 s once psycopg started preparing).
    connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
    engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    event.listen(engine, "before_cursor_execute", refuse_nul)  # a clear refusal, not a 500
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


def _reader_options(bind: Any) -> dict[str, Any]:
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        return {READ_ONLY: True, "postgresql_readonly": True}  # BEGIN READ ONLY
    return {READ_ONLY: True}


def _retrying(start: Callable[[], _T]) -> _T:
    """``start()``, which gets a connection and begins, again while the database is busy.

    Only getting the connection is retried: until then nothing has been done. A full
    pool or server is retried with back-off; SQLite's lock already waited its busy
    timeout, so it is not.
    """
    delays = iter(CONNECT_RETRY_DELAYS)
    attempts = 0
    while True:
        attempts += 1
        try:
            return start()
        except Exception as exc:
            kind = busy_kind(exc)
            if kind is None:
                raise
            delay = None if kind == SQLITE else next(delays, None)
            if delay is None:
                raise busy_error(kind, attempts=attempts) from exc
            log.warning("database busy (%s); retrying in %.2f s", kind[0], delay)
            time.sleep(delay * random.uniform(0.8, 1.2))


def _begin(
    factory: sessionmaker[Session], read_only: bool = False
) -> tuple[Session, SessionTransaction]:
    """A session holding its connection (and on SQLite the write lock), before any work."""
    options = _reader_options(factory.kw.get("bind")) if read_only else None

    def start() -> tuple[Session, SessionTransaction]:
        session = factory()
        try:
            trans = session.begin()
            session.connection(execution_options=options)
            return session, trans
        except Exception:
            session.close()
            raise

    return _retrying(start)


def _begin_reading(engine: Engine) -> tuple[Connection, RootTransaction]:
    """A Core connection in a read-only transaction (as :func:`_begin` with read_only)."""

    def start() -> tuple[Connection, RootTransaction]:
        conn = engine.connect()
        try:
            conn.execution_options(**_reader_options(engine))
            return conn, conn.begin()
        except Exception:
            conn.close()
            raise

    return _retrying(start)


def connect(engine: Engine) -> Connection:
    """A Core connection of ``engine``, got as :func:`transaction` gets one: retried with
    back-off while the pool or the server is full, then DatabaseBusy. For a caller that
    runs many short transactions of its own on one connection (the outbox's sender)."""
    return _retrying(engine.connect)


@contextmanager
def transaction(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error.

    The connection is taken before the body runs; when the database is busy that is
    retried a few times, then :class:`~huiqi.errors.DatabaseBusy` is raised. A busy
    error once the body has started rolls back and raises DatabaseBusy too, without
    running anything again. ``read_only``: see :func:`reading`.
    """
    session, trans = _begin(factory, read_only)
    with session:
        try:
            with trans:
                yield session
        except (DBAPIError, PoolTimeout) as exc:
            kind = busy_kind(exc)
            if kind is None:
                raise
            raise busy_error(kind, rolled_back=True) from exc


def reading(factory: sessionmaker[Session]) -> AbstractContextManager[Session]:
    """A transaction for reads only. On SQLite it takes no write lock, so it never waits
    behind a writer (a bulk delivery, an export): in WAL mode it reads the last commit;
    and it cannot write (a write raises instead of waiting). On PostgreSQL, where readers
    never wait for writers anyway, it is a READ ONLY transaction."""
    return transaction(factory, read_only=True)


@contextmanager
def reading_connection(engine: Engine) -> Iterator[Connection]:
    """:func:`reading` on a Core connection: the same read-only transaction (no write lock
    on SQLite, READ ONLY on PostgreSQL) and the same busy handling, without the ORM. The
    command-line listings read through it (the ORM took a tenth of a second to load)."""
    conn, trans = _begin_reading(engine)
    with conn:
        try:
            with trans:
                yield conn
        except (DBAPIError, PoolTimeout) as exc:
            kind = busy_kind(exc)
            if kind is None:
                raise
            raise busy_error(kind, rolled_back=True) from exc


def write_if_free(engine: Engine, work: Callable[[Connection], object]) -> bool:
    """Run ``work`` in a write transaction of its own only if the database can take it
    now; whether it ran. For bookkeeping a reader may skip (a token's last use): it never
    makes the reader wait behind a bulk write, and a busy database only skips it."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{NO_WAIT: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {NO_WAIT_LOCK_MS}")
                work(conn)
        return True
    except (DBAPIError, PoolTimeout) as exc:
        if busy_kind(exc) is None and not _lock_timeout(exc):
            raise
    except DatabaseBusy:
        pass
    log.info("the database is busy; a bookkeeping write was skipped")
    return False


def _lock_timeout(exc: BaseException) -> bool:
    # PostgreSQL's lock_timeout: SQLSTATE 55P03 (lock_not_available).
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03"


def is_reading(session: Reads) -> bool:
    """Whether ``session`` was opened by :func:`reading` or :func:`reading_connection`
    (and so must not write)."""
    conn = session if isinstance(session, Connection) else session.connection()
    return bool(conn.get_execution_options().get(READ_ONLY))


def open_database(settings: Settings, url: str | None = None) -> sessionmaker[Session]:
    """Connect to the operational database, bringing its schema up to date first."""
    return session_factory(open_engine(settings, url))


def open_engine(settings: Settings, url: str | None = None) -> Engine:
    """The operational database's engine, its schema brought up to date first (one read
    when it is current). For Core reads (:func:`reading_connection`); the ORM's sessions
    come from :func:`open_database`."""
    from huiqi.db.migrate import upgrade

    chosen = database_url(settings, url)
    engine = make_engine(chosen)
    try:
        upgrade(engine)
    except (OperationalError, PoolTimeout) as exc:
        engine.dispose()
        kind = busy_kind(exc)
        if kind is not None:
            raise busy_error(kind) from exc
        reason = str(getattr(exc, "orig", exc)).strip().splitlines() or ["no answer"]
        raise DatabaseUnavailable(
            f"cannot use the database {shown(chosen)}: {reason[0]}; check the URL, that the"
            " server is up, and the user's password and rights"
        ) from exc
    return engine
