"""Every migration goes down and up again on an empty ledger, on each database.

The downgrades below 0025 were never run by a test (only 0028 to 0025 and 0018 were,
beside the migrations that changed data): this walks from the head down one revision at
a time, then up again one at a time, and asserts that each revision's schema on the way
up is the one its downgrade left on the way down (tables, columns, indexes, unique
constraints, foreign keys and triggers), and that the head is the models' schema. 0002's
downgrade refuses on purpose (accounts and the audit chain stay), so the walk stops
there; 0001 goes down to base and up on a database of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from test_migrations import test_migrations_build_exactly_the_models_schema as _models_schema

from huiqi.db.migrate import alembic_config, current, head_revision
from huiqi.db.testing import fresh_database

Schema = dict[str, Any]
# 0002's downgrade refuses: accounts and the audit chain are never removed from a ledger.
LAST_DOWN = "0002"


def _step(engine: Engine, direction: str, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, direction)(cfg, revision)
        conn.commit()


def _triggers(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = (
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c"
                " ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        return sorted((str(table), str(name)) for table, name in conn.execute(text(sql)))


def _schema(engine: Engine) -> Schema:
    """What a migration makes, read back: names and columns, not SQL text (SQLite keeps a
    table's CREATE statement as written, and a batch copy writes it anew)."""
    found = inspect(engine)
    tables: Schema = {}
    for table in sorted(found.get_table_names()):
        if table == "alembic_version":
            continue
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)
            ],
            "primary": found.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            "foreign": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in found.get_foreign_keys(table)
            ),
        }
    return {"tables": tables, "triggers": _triggers(engine)}


def test_every_migration_goes_down_to_0002_and_up_again(engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    down = [r.revision for r in script.walk_revisions("base", "heads")]  # head first
    assert current(engine) == down[0] == head_revision()
    down = down[: down.index(LAST_DOWN) + 1]
    left: dict[str, Schema] = {}
    for revision in down[1:]:
        _step(engine, "downgrade", revision)
        assert current(engine) == revision
        left[revision] = _schema(engine)
    for revision in reversed(down[1:]):
        _step(engine, "upgrade", revision)
        assert current(engine) == revision
        assert _schema(engine) == left[revision], f"{revision} differs after its downgrade"
    _step(engine, "upgrade", "head")
    assert current(engine) == head_revision()
    _models_schema(engine)


def test_0002_refuses_its_downgrade_and_leaves_the_ledger_as_it_was(engine: Engine) -> None:
    """Accounts and the audit chain are never removed from a ledger: 0002's downgrade
    refuses, on purpose, and the database stays at 0002."""
    _step(engine, "downgrade", LAST_DOWN)
    before = _schema(engine)
    with pytest.raises(RuntimeError, match="cannot be removed from a ledger"):
        _step(engine, "downgrade", "0001")
    assert current(engine) == LAST_DOWN
    assert _schema(engine) == before


def test_0001_goes_down_to_base_and_up_again(engine: Engine, tmp_path: Path) -> None:
    with fresh_database(engine.dialect.name, tmp_path, revision="0001") as first:
        built = _schema(first)
        _step(first, "downgrade", "base")
        assert current(first) is None
        assert _schema(first) == {"tables": {}, "triggers": []}
        _step(first, "upgrade", "0001")
        assert _schema(first) == built
