"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database per run.

Used by the test suite (and the reliability benchmark). PostgreSQL runs when
``HUIQI_TEST_DATABASE_URL`` points at a server; each call makes a database with
a unique name on it and drops it afterwards.

The migrations run once per revision and migration code, into a template (a SQLite file
in the temporary folder, a PostgreSQL database named ``huiqi_tmpl_<fingerprint>``); each
fresh database is a copy of it. Running every migration for each of the suite's
hundreds of fresh databases cost 0.3–1 s on SQLite and 1.5–5 s on PostgreSQL each.
The fingerprint covers the migration files, so a changed migration makes a new template.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import tempfile
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


@functools.cache
def _fingerprint(revision: str) -> str:
    """The revision and the migration code it is built from, hashed."""
    digest = hashlib.sha256(revision.encode())
    for path in sorted((Path(__file__).parent / "migrations").rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _sqlite_template(revision: str) -> Path:
    """A SQLite file migrated to ``revision``, made once (under a file lock, since test
    processes run side by side) and then only copied."""
    folder = Path(tempfile.gettempdir()) / f"huiqi-test-templates-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    template = folder / f"{_fingerprint(revision)}.db"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            building = folder / f"building-{uuid.uuid4().hex[:8]}.db"
            engine = make_engine(f"sqlite:///{building}")
            try:
                upgrade(engine, revision)
            finally:
                engine.dispose()  # the last connection out checkpoints the WAL into the file
            os.replace(building, template)
    return template


def _postgres_template(admin: Engine, server: str, revision: str) -> str:
    """The name of a PostgreSQL database migrated to ``revision``, made once (under an
    advisory lock, since test processes run side by side) and only copied after."""
    name = f"huiqi_tmpl_{_fingerprint(revision)}"
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": name})
        try:
            found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not found:
                building = f"huiqi_tmpl_building_{uuid.uuid4().hex[:12]}"
                conn.execute(text(f'CREATE DATABASE "{building}"'))
                url = make_url(server).set(database=building)
                engine = make_engine(url.render_as_string(hide_password=False))
                try:
                    upgrade(engine, revision)
                finally:
                    engine.dispose()  # a template is copied only with nobody connected
                conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": name})
    return name


@contextmanager
def fresh_database(backend: str, workdir: Path, revision: str = "head") -> Iterator[Engine]:
    """Yield an engine on an empty database of the given backend, migrated to ``revision``."""
    if backend == "sqlite":
        path = workdir / f"huiqi-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(_sqlite_template(revision), path)
        engine = make_engine(f"sqlite:///{path}")
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
    template = _postgres_template(admin, server, revision)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
