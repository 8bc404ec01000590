"""Telling "the database is busy, try again" apart from real failures.

Busy means no connection or lock could be had in time: this process's pool was
exhausted (``sqlalchemy.exc.TimeoutError``), the PostgreSQL server had no free
connection slot, or another process held SQLite's write lock. Nothing was done
then, so :func:`huiqi.db.engine.transaction` may retry, and a person may too.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from huiqi.errors import DatabaseBusy

# PostgreSQL's 53300 (too_many_connections) in its message forms: psycopg gives no SQLSTATE
# for a refused connection.
_SERVER_FULL = (
    "too many clients",
    "remaining connection slots are reserved",
    "too many connections for",
)
_SQLITE_LOCKED = ("database is locked", "database table is locked")

POOL = (
    "every connection of this process's pool stayed in use for HUIQI_DB_POOL_TIMEOUT",
    "if this persists, raise HUIQI_DB_POOL_SIZE or HUIQI_DB_POOL_TIMEOUT",
)
SERVER = (
    "the PostgreSQL server has no free connection slot",
    "if this persists, lower HUIQI_DB_POOL_SIZE and HUIQI_DB_MAX_OVERFLOW so that all huiqi"
    " processes together stay below the server's max_connections",
)
SQLITE = (
    "another process held the SQLite database's write lock too long",
    "for several writing processes, use PostgreSQL (HUIQI_DATABASE_URL)",
)


def busy_kind(exc: BaseException) -> tuple[str, str] | None:
    """(what happened, what to do) when ``exc`` means the database is busy, else None."""
    if isinstance(exc, DatabaseBusy):
        return exc.kind
    if isinstance(exc, PoolTimeout):
        return POOL
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).lower()
        if any(p in text for p in _SERVER_FULL):
            return SERVER
        if any(p in text for p in _SQLITE_LOCKED):
            return SQLITE
    return None


def busy_error(
    kind: tuple[str, str], *, attempts: int = 1, rolled_back: bool = False
) -> DatabaseBusy:
    """The one-line error for a busy database."""
    what, advice = kind
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    done = "the transaction was rolled back" if rolled_back else "nothing was done"
    return DatabaseBusy(
        f"the database is busy: {what}{tried}; {done}. Try again in a moment; {advice}.",
        kind=kind,
    )
