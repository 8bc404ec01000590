"""Settings of the operational database, read from the environment.

* ``HUIQI_DATABASE_URL`` (or ``--database-url``): which database; SQLite in the
  data directory without it. Keep the password out of it:
* ``HUIQI_DATABASE_PASSWORD`` or ``HUIQI_DATABASE_PASSWORD_FILE`` (a file holding
  only the password) fills in the password of a URL that has none.
* ``HUIQI_DB_POOL_SIZE`` (default 5), ``HUIQI_DB_MAX_OVERFLOW`` (default 5) and
  ``HUIQI_DB_POOL_TIMEOUT`` (seconds, default 10): each process keeps up to
  pool size + overflow PostgreSQL connections and waits that long for a free one.
  The defaults let eight processes (portal workers, CLI runs, senders) share a
  server's usual 100 connections with room for administrators.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from huiqi.config import read_secret
from huiqi.errors import ConfigError

DATABASE_URL_ENV = "HUIQI_DATABASE_URL"
PASSWORD_ENV = "HUIQI_DATABASE_PASSWORD"
POOL_SIZE_ENV = "HUIQI_DB_POOL_SIZE"
MAX_OVERFLOW_ENV = "HUIQI_DB_MAX_OVERFLOW"
POOL_TIMEOUT_ENV = "HUIQI_DB_POOL_TIMEOUT"
DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 5
DEFAULT_POOL_TIMEOUT = 10.0


# What huiqi connects with: psycopg 3 for PostgreSQL, the standard library for SQLite.
SUPPORTED_DRIVERS = ("postgresql+psycopg", "sqlite", "sqlite+pysqlite")


def parse_url(url: str | URL) -> URL:
    """A URL object; plain ``postgresql://`` (or ``postgres://``) URLs get the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a bad port
        # Never echo the text: it may hold a password.
        raise ConfigError(
            "the database URL (HUIQI_DATABASE_URL or --database-url) cannot be parsed; expected"
            " e.g. postgresql://huiqi@db.example.internal:5432/huiqi"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in SUPPORTED_DRIVERS:
        # The scheme only: the rest may hold a password.
        raise ConfigError(
            f"the database URL (HUIQI_DATABASE_URL or --database-url) starts with"
            f" '{parsed.drivername}://', and huiqi runs on PostgreSQL or SQLite only; write"
            " postgresql://user@host:5432/name (huiqi connects with psycopg 3) or"
            " sqlite:////absolute/path/huiqi.db, or unset it for SQLite in the data directory"
        )
    return parsed


def with_password(url: URL, environ: Mapping[str, str] | None = None) -> URL:
    """``url`` with the password from ``HUIQI_DATABASE_PASSWORD(_FILE)`` when one is set."""
    env = os.environ if environ is None else environ
    password = read_secret(env, PASSWORD_ENV)
    if password is None or url.get_backend_name() == "sqlite":
        return url
    if url.password is not None:
        raise ConfigError(
            f"the database URL already holds a password and {PASSWORD_ENV} (or {PASSWORD_ENV}_FILE)"
            " is set too; remove the password from the URL, where process lists and shell"
            " histories show it."
        )
    return url.set(password=password)


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(
            f"{name}={raw!r} is not a number >= {minimum:g}; unset it for the default."
        )
    return value


def pool_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``create_engine`` pool arguments from the ``HUIQI_DB_POOL_*`` settings."""
    env = os.environ if environ is None else environ
    size = _number(env, POOL_SIZE_ENV, DEFAULT_POOL_SIZE, minimum=1)
    overflow = _number(env, MAX_OVERFLOW_ENV, DEFAULT_MAX_OVERFLOW, minimum=0)
    if size != int(size) or overflow != int(overflow):
        raise ConfigError(
            f"{POOL_SIZE_ENV} and {MAX_OVERFLOW_ENV} are whole numbers of connections."
        )
    return {
        "pool_size": int(size),
        "max_overflow": int(overflow),
        "pool_timeout": _number(env, POOL_TIMEOUT_ENV, DEFAULT_POOL_TIMEOUT, minimum=0),
    }
