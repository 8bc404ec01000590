"""The quick path on PostgreSQL, without SQLAlchemy: through libpq itself, or psycopg.

Mirrors what the full path does with a ``postgresql://`` URL (:mod:`huiqi.db.settings`,
:func:`huiqi.db.engine.make_engine` and :func:`~huiqi.db.engine.reading_connection`):
the URL read as SQLAlchemy reads it, the password from ``HUIQI_DATABASE_PASSWORD(_FILE)``,
no server-side prepared statements, one ``BEGIN READ ONLY`` transaction at the server's
isolation level. Only URLs whose every part SQLAlchemy keeps as written are served (a
user, a password, a host and a database of plain characters, a port, no query): the
stored sign-in token is keyed by the URL as SQLAlchemy renders it, so anything it would
escape, reorder or read otherwise is declined, and the full path runs.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huiqi.cli.quick import libpq
from huiqi.cli.quick.read import Declined
from huiqi.config import read_secret
from huiqi.db.revision import CURRENT_REVISION_SQL, head_revision

if TYPE_CHECKING:
    import psycopg

# As huiqi.db.settings.PASSWORD_ENV (not imported: SQLAlchemy).
PASSWORD_ENV = "HUIQI_DATABASE_PASSWORD"
# The drivers huiqi.db.settings.parse_url reads as psycopg 3's.
_DRIVERS = ("postgresql", "postgres", "postgresql+psycopg")
_PLAIN = r"[A-Za-z0-9_.-]+"
# A URL SQLAlchemy parses into these parts and renders back as written (a port without
# leading zeros aside, which it drops: the key below renders the port as a number). A
# password is kept to characters SQLAlchemy neither unquotes (%) nor splits on.
_URL = re.compile(
    rf"(?P<driver>[a-z+]+)://"
    rf"(?:(?P<user>{_PLAIN})(?::(?P<password>[A-Za-z0-9_.~!$&'()*+,;=-]*))?@)?"
    rf"(?P<host>{_PLAIN})?(?::(?P<port>[0-9]{{1,5}}))?"
    rf"/(?P<database>{_PLAIN})"
)


def connection_of(url: str) -> tuple[str, dict[str, Any]]:
    """The stored token's key for ``url`` (:func:`huiqi.cli.signin.database_key` of the URL
    the full path opens: driver psycopg, password hidden) and psycopg's connection arguments
    (as SQLAlchemy's psycopg dialect makes them, with :func:`make_engine`'s
    ``prepare_threshold``). Declined for any URL this does not read as SQLAlchemy does."""
    found = _URL.fullmatch(url)
    if found is None or found["driver"] not in _DRIVERS:
        raise Declined("a database URL the quick path does not read")
    user, password, host, port = found["user"], found["password"], found["host"], found["port"]
    from_env = read_secret(os.environ, PASSWORD_ENV)
    if from_env is not None:
        if password is not None:
            raise Declined("a password twice: the full path says so")
        password = from_env
    if port is not None and not 0 < int(port) <= 65_535:
        raise Declined("a port out of range")
    key = "postgresql+psycopg://"
    if user is not None:
        key += user + (":***" if password is not None else "") + "@"
    key += (host or "") + (f":{int(port)}" if port is not None else "") + "/" + found["database"]
    args: dict[str, Any] = {
        "user": user,
        "password": password,
        "host": host,
        "port": int(port) if port is not None else None,
        "dbname": found["database"],
    }
    # As URL.translate_connect_args: an empty part (a password "") is left out.
    given = {k: v for k, v in args.items() if v is not None and v != ""}
    return key, given | {"prepare_threshold": None}


# The statements compiled ahead for PostgreSQL (``huiqi.cli.quick.generate``): name ->
# [SQL, binds, converters], as statements.json for SQLite; read on the first PostgreSQL read.
STATEMENTS_FILE = Path(__file__).with_name("statements_postgresql.json")


@functools.cache
def statements() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(STATEMENTS_FILE.read_text(encoding="utf-8"))
    return loaded


def expand(name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The precompiled statement ``name``'s SQL and parameters for ``inputs``: an IN of a
    list gets one parameter per value, named and cast as SQLAlchemy expands it."""
    table = statements()
    if name not in table:
        raise Declined(f"no statement {name} compiled ahead")
    sql, binds, _converters = table[name]
    values: dict[str, Any] = {}
    for bind, source, constant in binds:
        value = inputs[source] if source else constant
        if isinstance(value, list):
            if not value:  # SQLAlchemy writes an empty IN another way
                raise Declined("an empty list")
            names = [f"{bind}_{i}" for i in range(1, len(value) + 1)]
            # ``constant`` of a list: how one element is written, "{}" for its name.
            text = ", ".join(constant.replace("{}", n) for n in names)
            sql = sql.replace(f"__[POSTCOMPILE_{bind}]", text)
            values.update(zip(names, value, strict=True))
        else:
            values[bind] = value
    return sql, values


def fetch(conn: Any, name: str, inputs: Mapping[str, Any]) -> list[Any]:
    """Run the precompiled statement ``name``: the rows are SQLAlchemy's on PostgreSQL (the
    generator refuses a column SQLAlchemy would convert; libpq's text is read as psycopg
    reads it)."""
    sql, values = expand(name, inputs)
    if isinstance(conn, libpq.Connection):
        return conn.execute(sql, values)
    with conn.cursor() as cur:
        cur.execute(sql, values)
        return [tuple(row) for row in cur.fetchall()]


def _check_revision(revision: Sequence[Any] | None) -> None:
    if revision is None or revision[0] != head_revision():
        raise Declined("the database needs migrating: the full path upgrades it")


@contextmanager
def reading(args: Mapping[str, Any]) -> Iterator[Any]:
    """A READ ONLY transaction on the database at ``args`` (from :func:`connection_of`),
    committed at the end as :func:`huiqi.db.engine.reading_connection` commits it; Declined
    for a database not at the newest migration and for any driver error: the full path
    meets it again and reports it its own way (a full server: after its retries). Through
    libpq itself where it is found (:mod:`huiqi.cli.quick.libpq`: no psycopg import, 0.13 s
    less), else through psycopg."""
    if libpq.library() is None:
        with _psycopg_reading(args) as through_psycopg:
            yield through_psycopg
        return

    def check(conn: libpq.Connection) -> None:
        rows = conn.execute(CURRENT_REVISION_SQL)
        _check_revision(rows[0] if rows else None)

    with libpq.reading(args, check) as conn:
        yield conn


@contextmanager
def _psycopg_reading(args: Mapping[str, Any]) -> Iterator[psycopg.Connection[Any]]:
    import psycopg

    try:
        conn = psycopg.connect(**args)
    except psycopg.Error as exc:
        raise Declined(str(exc)) from exc
    try:
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute(CURRENT_REVISION_SQL)
            _check_revision(cur.fetchone())
        yield conn
        conn.commit()
    except psycopg.Error as exc:
        raise Declined(str(exc)) from exc
    finally:
        conn.close()
