"""The migrated schema is the models' schema: no table, column, index or constraint
that one has and the other lacks (on each database)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import huiqi.accounts.models  # registers the account tables
import huiqi.complaints.models
import huiqi.delivery.models
import huiqi.desk.models
import huiqi.jobs.models  # noqa: F401 - registers the desk and job tables
from huiqi.db.base import Base


def _what(obj: Any) -> tuple[Any, ...]:
    """An index or constraint by table and columns (names differ: op.f() against the
    naming convention); anything else by its repr."""
    columns = getattr(obj, "columns", None)
    if columns is not None and getattr(obj, "table", None) is not None:
        return (type(obj).__name__, obj.table.name, tuple(c.name for c in columns))
    return (repr(obj),)


def test_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    added: Counter[tuple[Any, ...]] = Counter()
    removed: Counter[tuple[Any, ...]] = Counter()
    for diff in diffs:
        first = diff[0] if isinstance(diff, list) else diff
        kind = first[0] if isinstance(first, tuple) else ""
        if kind.startswith("add_"):
            added[(kind[4:], *_what(first[-1]))] += 1
        elif kind.startswith("remove_"):
            removed[(kind[7:], *_what(first[-1]))] += 1
    # Type and server-default renderings vary by backend and are not compared.
    assert (added - removed, removed - added) == (Counter(), Counter())


def test_the_head_read_from_the_files_is_alembics(engine: Engine) -> None:
    """``upgrade`` skips Alembic when the database is at this head: it must be the real one."""
    from alembic.script import ScriptDirectory

    from huiqi.db.migrate import alembic_config, head_revision, is_current

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert is_current(engine)  # the fixture's database was migrated
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")
    assert not is_current(engine)
