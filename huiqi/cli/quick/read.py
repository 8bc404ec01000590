"""The quick path's read transaction and sign-in check, through the database's driver.

On SQLite (the sqlite3 driver) it mirrors :func:`huiqi.db.engine.reading_connection`: a
deferred BEGIN (in WAL mode a reader waits for no writer) and ``query_only``, SQLite's
busy timeout; on PostgreSQL (psycopg, :mod:`huiqi.cli.quick.postgres`) a READ ONLY
transaction. Then the sign-in check of :func:`huiqi.accounts.bearer.actor_from_token`
(the same SQL, the same rules from :mod:`huiqi.accounts.tokencheck`). Anything it does
not cover raises :class:`Declined`, and the command takes the full path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huiqi.accounts.tokencheck import (
    LAST_USED_EVERY,
    NO_TOKEN,
    actor_of,
    check_token_row,
    token_digest,
)
from huiqi.cli.signin import token_for_key
from huiqi.db.clock import utcnow
from huiqi.db.revision import CURRENT_REVISION_SQL, head_revision
from huiqi.delivery.fields_in_use import office_fields_to_check
from huiqi.fsmode import create_private_file

if TYPE_CHECKING:
    from typing import TypeAlias

    import click
    import psycopg

    from huiqi.accounts.access import Actor
    from huiqi.cli.quick.libpq import Connection as LibpqConnection
    from huiqi.config import Settings

    # A connection of the quick path: SQLite's or PostgreSQL's (libpq's or psycopg's).

    Conn: TypeAlias = sqlite3.Connection | psycopg.Connection[Any] | LibpqConnection

# As huiqi.db.engine: DATABASE_URL_ENV, SQLITE_BUSY_SECONDS (not imported: SQLAlchemy).
DATABASE_URL_ENV = "HUIQI_DATABASE_URL"
BUSY_SECONDS = 30.0
# A path SQLAlchemy renders as it is in the URL that names the stored token (others are
# %-escaped there: the full path works them out).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._ -]+")


# The statements compiled ahead (``huiqi.cli.quick.generate``): name -> [SQL, binds, converters].
STATEMENTS: dict[str, Any] = json.loads(
    Path(__file__).with_name("statements.json").read_text(encoding="utf-8")
)


class Declined(Exception):
    """The quick path does not cover this case; the full path runs instead."""


def sqlite_key(settings: Settings) -> str:
    """The name of the default SQLite database as ``huiqi login`` stored its token
    (:func:`huiqi.cli.signin.database_key` of its URL)."""
    path = str(settings.data_dir / "huiqi.db")
    if not _PLAIN_PATH.fullmatch(path):
        raise Declined("a path SQLAlchemy would escape")
    return "sqlite:///" + path


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "bool": bool,
    "json": json.loads,  # as SQLAlchemy's JSON on SQLite (a review flag's conditions)
}


def expand(name: str, inputs: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The precompiled statement ``name``'s SQL and parameters for ``inputs``: an IN of a
    list gets one ``?`` per value, as SQLAlchemy expands it when it runs the statement."""
    if name not in STATEMENTS:
        raise Declined(f"no statement {name} compiled ahead")
    sql, binds, _converters = STATEMENTS[name]
    values: list[Any] = []
    for bind, source, constant in binds:
        value = inputs[source] if source else constant
        if isinstance(value, list):
            if not value:  # SQLAlchemy writes an empty IN another way
                raise Declined("an empty list")
            sql = sql.replace(f"__[POSTCOMPILE_{bind}]", ", ".join("?" * len(value)))
            values.extend(value)
        else:
            values.append(value)
    return sql, values


def fetch(conn: Conn, name: str, inputs: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run the precompiled statement ``name`` with ``inputs``; rows converted as SQLAlchemy
    converts them (SQLite keeps dates and times as text, booleans as integers)."""
    if not isinstance(conn, sqlite3.Connection):
        from huiqi.cli.quick import postgres

        return postgres.fetch(conn, name, inputs)
    sql, values = expand(name, inputs)
    converters = STATEMENTS[name][2]
    convert = [(i, _CONVERT[c]) for i, c in enumerate(converters) if c]
    rows = []
    for raw in conn.execute(sql, values):
        row = list(raw)
        for i, fn in convert:
            if row[i] is not None:
                row[i] = fn(row[i])
        rows.append(tuple(row))
    return rows


@contextmanager
def quick_reading(ctx: click.Context) -> Iterator[tuple[Conn, Actor]]:
    """A read-only transaction on the operational database (the default SQLite database, or
    PostgreSQL by ``--database-url`` or ``HUIQI_DATABASE_URL``) and the signed-in actor
    (NotSignedIn, exit 5, as on the full path); Declined where the full path must run."""
    from huiqi.cli.common import settings_from

    url = (ctx.obj and ctx.obj.get("database_url")) or os.environ.get(DATABASE_URL_ENV)
    settings = settings_from(ctx)
    if url:
        with _postgres_reading(settings, url) as read:
            yield read
        return
    path = settings.data_dir / "huiqi.db"
    if not path.is_file():
        raise Declined("no database yet: the full path creates it")
    # As the full path (database_url, make_engine): a data directory or a ledger found
    # readable by others is made owner-only before anything is read.
    settings.ensure_data_dir()
    create_private_file(path)
    if office_fields_to_check(settings) is not None:
        raise Declined("the office dictionary changed: the full path checks it")
    key = sqlite_key(settings)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise _declined_or_busy(exc) from exc
    try:
        conn.execute("BEGIN")
        conn.execute("PRAGMA query_only=ON")
        revision = conn.execute(CURRENT_REVISION_SQL).fetchone()
        if revision is None or revision[0] != head_revision():
            raise Declined("the database needs migrating: the full path upgrades it")
        actor, due = _actor(conn, key)
        yield conn, actor
        conn.execute("COMMIT")
        if due is not None:
            _record_use_sqlite(conn, due)
    except sqlite3.Error as exc:
        raise _declined_or_busy(exc) from exc
    finally:
        conn.close()


@contextmanager
def _postgres_reading(settings: Settings, url: str) -> Iterator[tuple[Conn, Actor]]:
    """As the SQLite path, on the PostgreSQL database at ``url`` (psycopg; others decline)."""
    from huiqi.cli.quick import postgres

    key, args = postgres.connection_of(url)  # before the driver's import: it may decline
    if office_fields_to_check(settings) is not None:
        raise Declined("the office dictionary changed: the full path checks it")
    with postgres.reading(args) as conn:
        actor, due = _actor(conn, key)
        yield conn, actor
    _record_use(url, due)


def _declined_or_busy(exc: sqlite3.Error) -> Exception:
    """A lock not had within the busy timeout is the full path's DatabaseBusy (the full path
    would wait as long again, then say the same); any other driver error declines, and the
    full path meets it and reports it its own way."""
    text = str(exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        from huiqi.db.busy import SQLITE, busy_error  # SQLAlchemy: only here

        return busy_error(SQLITE)
    return Declined(str(exc))


def _actor(conn: Conn, key: str) -> tuple[Actor, int | None]:
    """:func:`huiqi.accounts.bearer.checked_token` on a reading connection: the actor, and
    the token's id when its last use is due to be written down."""
    from huiqi.accounts.access import NotSignedIn

    secret = token_for_key(key)
    if not secret:
        raise NotSignedIn(NO_TOKEN)
    rows = fetch(conn, "token", {"digest": token_digest(secret)})
    if len(rows) > 1:
        raise Declined("more than one token row")
    token_id, user_id, username, stale = check_token_row(rows[0] if rows else None, utcnow())
    roles = fetch(conn, "roles", {"user_id": user_id})
    return actor_of(username, user_id, roles, token_id), (token_id if stale else None)


# As SQLAlchemy stores a DateTime in SQLite, so that both read it back alike.
_SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def _record_use_sqlite(conn: sqlite3.Connection, token_id: int) -> None:
    """:func:`huiqi.accounts.bearer.record_use` through the driver, after the read: only if
    the write lock is free now (a busy database skips it; a later use writes it)."""
    now = utcnow()
    conn.execute("PRAGMA query_only=OFF")
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return  # another writer holds the lock
    conn.execute(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ?"
        " AND (last_used_at IS NULL OR last_used_at < ?)",
        (now.strftime(_SQLITE_STAMP), token_id, (now - LAST_USED_EVERY).strftime(_SQLITE_STAMP)),
    )
    conn.execute("COMMIT")


def _record_use(url: str, token_id: int | None) -> None:
    """The token's last use, when due (every few minutes), written after the read as the
    full path writes it (:func:`huiqi.accounts.bearer.record_use`: skipped if the database
    is busy); SQLAlchemy is loaded only then."""
    if token_id is None:
        return
    from huiqi.accounts.bearer import record_use
    from huiqi.db.engine import make_engine

    engine = make_engine(url)
    try:
        record_use(engine, token_id)
    finally:
        engine.dispose()
