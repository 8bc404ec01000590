"""Bulk inserts for the delivery hot path: PostgreSQL COPY, SQLite executemany.

Granting 100,000 enterprises writes hundreds of thousands of rows. On
PostgreSQL the fastest route is ``COPY … FROM STDIN`` (rows streamed, no SQL
text per row); rows that may already exist go through a temporary table and
``INSERT … ON CONFLICT DO NOTHING``. On SQLite one cached statement executed for
every row (the driver's executemany) is already fast.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# Below this many rows COPY's extra round trips cost more than they save.
COPY_FROM = 200


def _copy_value(value: Any, is_json: bool) -> Any:
    if is_json:
        return (
            None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        )
    return value


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts_on: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.

    With ``ignore_conflicts_on`` (the columns of a unique constraint), rows that
    would violate it are skipped; otherwise a conflict raises IntegrityError.
    """
    if not rows:
        return
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if not postgres or len(rows) < COPY_FROM:
        stmt: Any = insert(table)
        if ignore_conflicts_on:
            dialect_insert = postgresql.insert if postgres else sqlite.insert
            stmt = dialect_insert(table).on_conflict_do_nothing(
                index_elements=list(ignore_conflicts_on)
            )
        session.execute(stmt, list(rows))
        return
    columns = list(rows[0])
    json_cols = {c for c in columns if isinstance(table.c[c].type, JSON)}
    raw = conn.connection.driver_connection
    assert raw is not None
    target = table.name
    names = ", ".join(f'"{c}"' for c in columns)  # column names come from our own models
    with raw.cursor() as cur:
        if ignore_conflicts_on:
            cur.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "_bulk_{target}" ON COMMIT DELETE ROWS'
                f' AS SELECT {names} FROM "{target}" WITH NO DATA'
            )
            copy_into = f'"_bulk_{target}"'
        else:
            copy_into = f'"{target}"'
        json_at = [i for i, c in enumerate(columns) if c in json_cols]
        with cur.copy(f"COPY {copy_into} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = [row[c] for c in columns]
                for i in json_at:
                    values[i] = _copy_value(values[i], True)
                copy.write_row(values)
        if ignore_conflicts_on:
            keys = ", ".join(f'"{c}"' for c in ignore_conflicts_on)
            cur.execute(
                f'INSERT INTO "{target}" ({names}) SELECT {names} FROM "_bulk_{target}"'
                f" ON CONFLICT ({keys}) DO NOTHING"
            )
            cur.execute(f'DELETE FROM "_bulk_{target}"')
