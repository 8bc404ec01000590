"""Alembic environment: runs huiqi's migrations on the connection it is given."""

from __future__ import annotations

from alembic import context

from huiqi.accounts import models as _accounts  # noqa: F401  (registers the tables)
from huiqi.db.base import Base
from huiqi.delivery import models  # noqa: F401
from huiqi.desk import models as _desk  # noqa: F401
from huiqi.jobs import models as _jobs  # noqa: F401

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - huiqi always passes a connection
    raise RuntimeError("run migrations through huiqi.db.migrate.upgrade()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
