"""SQLite's side of the engine: the pragmas every connection gets, and the gate that lets
one writer at a time into this process while readers (WAL, deferred BEGIN, query_only)
never wait for it."""

from __future__ import annotations

import threading
from typing import Any

from huiqi.db.busy import SQLITE, busy_error

# Execution option of a connection opened by ``reading``: no write lock, no writes.
READ_ONLY = "huiqi_read_only"
# A write that is only worth doing if the database is free now (a token's last use):
# it takes SQLite's write lock without waiting, and on PostgreSQL waits at most
# engine.NO_WAIT_LOCK_MS for a row lock; otherwise it is busy at once.
NO_WAIT = "huiqi_no_wait"

# Negative: in KiB (SQLite's convention).
SQLITE_CACHE_KIB = -65_536


def sqlite_pragmas(busy_seconds: float) -> Any:
    def pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        # WAL lets readers run while one writer commits; busy_timeout makes concurrent
        # writers wait for the lock instead of failing at once.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        # A page cache of up to 64 MiB (SQLite's default is 2 MiB), taken only as pages
        # are read: a delivery chunk's inserts into the ledger's indexes no longer spill
        # dirty pages to the WAL before commit (docs/benchmarks.md, Delivery, fifth round).
        cur.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
        # A savepoint's journal (the original of each page it changes, kept to roll back
        # to) in memory, not in a temporary file: a bulk chunk runs in a savepoint, and the
        # file's writes cost it about a third of its database CPU (docs/benchmarks.md,
        # 2026-12-02 evening). Temporary tables and transient indices go to memory too;
        # large sorts still spill to files.
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    return pragmas


class WriterGate:
    """One SQLite writer at a time in this process, owned by the connection that took it.

    Taken at BEGIN, given back at COMMIT or ROLLBACK or when the connection returns
    to the pool, on whichever thread that happens: ownership is marked on the
    connection, so a connection that never took the gate gives nothing back. (A
    per-thread lock raised "cannot release un-acquired lock" when a transaction
    ended on another thread, and with the error suppressed stayed held for ever.)
    Queuing here instead of in SQLite's busy handler, which sleeps with back-off,
    kept 50 concurrent claims from losing seconds each.
    """

    KEY = "huiqi_sqlite_writer"

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # thread that took it, for nested transactions
        self._timeout = timeout

    READER = "huiqi_sqlite_reader"

    def begin(self, conn: Any) -> None:
        """The "begin" event: take the gate, then SQLite's write lock (BEGIN IMMEDIATE);
        a reading connection takes neither and is made unable to write (query_only)."""
        if conn.get_execution_options().get(READ_ONLY):
            # A deferred BEGIN: in WAL mode a reader sees the last commit and waits for
            # no writer. query_only turns a stray write into an error instead of a wait.
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("PRAGMA query_only=ON")
            conn.info[self.READER] = True
            return
        me = threading.get_ident()
        no_wait = bool(conn.get_execution_options().get(NO_WAIT))
        if self._holder != me:  # a second transaction of the holding thread: SQLite decides
            if not self._lock.acquire(timeout=0 if no_wait else self._timeout):
                raise busy_error(SQLITE)
            self._holder = me
            conn.info[self.KEY] = True
        try:
            # The write lock at BEGIN, so read-then-write transactions cannot deadlock into
            # "database is locked" halfway; concurrent claims queue on busy_timeout.
            if no_wait:
                conn.exec_driver_sql("PRAGMA busy_timeout=0")
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                finally:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Any) -> None:
        """The "commit" and "rollback" events: give the gate back if this connection has it."""
        if conn.info.pop(self.READER, False):
            conn.connection.dbapi_connection.execute("PRAGMA query_only=OFF")
        self._give(conn.info)

    def checkin(self, dbapi_conn: Any, record: Any) -> None:
        """A connection back in the pool never keeps the gate, nor stays read-only."""
        if record.info.pop(self.READER, False):
            dbapi_conn.execute("PRAGMA query_only=OFF")
        self._give(record.info)

    def _give(self, info: dict[Any, Any]) -> None:
        if info.pop(self.KEY, False):
            self._holder = None
            self._lock.release()
