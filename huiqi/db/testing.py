"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database per run.

Used by the test suite (and the reliability benchmark). PostgreSQL runs when
``HUIQI_TEST_DATABASE_URL`` points at a server; each call makes a database with
a unique name on it and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from huiqi.db.engine import make_engine, normalise_url
from huiqi.db.migrate import upgrade

TEST_URL_ENV = "HUIQI_TEST_DATABASE_URL"


def postgres_server_url() -> str | None:
    url = os.environ.get(TEST_URL_ENV)
    return normalise_url(url) if url else None


@contextmanager
def fresh_database(backend: str, workdir: Path, revision: str = "head") -> Iterator[Engine]:
    """Yield an engine on an empty database of the given backend, migrated to ``revision``."""
    if backend == "sqlite":
        path = workdir / f"huiqi-{uuid.uuid4().hex[:8]}.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine, revision)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    server = postgres_server_url()
    if server is None:
        raise RuntimeError(f"set {TEST_URL_ENV} to run PostgreSQL tests")
    name = f"huiqi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
