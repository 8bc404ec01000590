"""Create or upgrade the operational database with Alembic (the only way tables are made)."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

_REVISION = re.compile(r"^(down_revision|revision) = ['\"]?([0-9A-Za-z_]+)", re.M)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("huiqi.db").joinpath("migrations")))
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest migration's revision, read from the migration files' own text (the one
    that no other revises), so checking a database that is up to date needs no Alembic."""
    revisions, revised = set(), set()
    versions = resources.files("huiqi.db").joinpath("migrations", "versions")
    for entry in versions.iterdir():
        if entry.name.endswith(".py"):
            found = {m.group(1): m.group(2) for m in _REVISION.finditer(entry.read_text("utf-8"))}
            if "revision" in found:
                revisions.add(found["revision"])
                revised.add(found.get("down_revision"))
    heads = revisions - revised
    if len(heads) != 1:
        raise RuntimeError(f"the migrations should have one head, not {sorted(heads)}")
    return heads.pop()


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration: one read, no write lock."""
    from huiqi.db.engine import READ_ONLY

    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no table yet: a new database
        return False
    return version == head_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` (idempotent)."""
    if revision == "head" and is_current(engine):
        return
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
