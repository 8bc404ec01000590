"""Create or upgrade the operational database with Alembic (the only way tables are made)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from huiqi.db.revision import CURRENT_REVISION_SQL, head_revision

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "current", "head_revision", "is_current", "upgrade"]


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("huiqi.db").joinpath("migrations")))
    return cfg


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration: one read, no write lock."""
    from huiqi.db.sqlitegate import READ_ONLY

    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            version = conn.execute(text(CURRENT_REVISION_SQL)).scalar()
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
