"""Bulk inserts for the delivery hot path: PostgreSQL COPY, SQLite executemany.

Granting 100,000 enterprises writes hundreds of thousands of rows. On
PostgreSQL the fastest route is ``COPY … FROM STDIN`` (rows streamed, no SQL
text per row); rows that may already exist go through a temporary table and
``INSERT … ON CONFLICT DO NOTHING``. On SQLite one statement is executed for
every row by the driver's executemany, with the values converted column by
column by the column types' own bind processors (so they are stored exactly as
the ORM stores them) but without SQLAlchemy's per-row bookkeeping, which cost
more than the insert itself.

A caller that already holds a JSON column's text (a trace serialised once and
stored in two tables) names that column in ``json_text`` so it is not encoded again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Connection, Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from huiqi.db.jsontext import compact_json

# Below this many rows the bulk routes (COPY; compiling a statement for the driver)
# cost more than they save: the ORM's cached statement is used.
COPY_FROM = 200


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts_on: Sequence[str] | None = None,
    json_text: Collection[str] = (),
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.

    With ``ignore_conflicts_on`` (the columns of a unique constraint), rows that
    would violate it are skipped; otherwise a conflict raises IntegrityError. The
    JSON columns named in ``json_text`` hold text already serialised (``compact_json``).
    """
    if not rows:
        return
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(rows) >= COPY_FROM:
        with driver_errors(conn, f"COPY {table.name}"):
            _copy(conn, table, rows, ignore_conflicts_on, json_text)
        return
    stmt: Any = insert(table)
    if ignore_conflicts_on:
        # Imported here: the dialects' modules are not needed to read the ledger (CLI start-up).
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert = postgresql.insert if postgres else sqlite.insert
        stmt = dialect_insert(table).on_conflict_do_nothing(
            index_elements=list(ignore_conflicts_on)
        )
    if not postgres and len(rows) >= COPY_FROM and _executemany(conn, table, stmt, rows, json_text):
        return
    if json_text:
        rows = [{**r, **{c: _decoded(r[c]) for c in json_text}} for r in rows]
    session.execute(stmt, list(rows))


def insert_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    constants: Mapping[str, Any] | None = None,
    ignore_conflicts_on: Sequence[str] | None = None,
    json_text: Collection[str] = (),
) -> None:
    """:func:`bulk_insert` for rows given as tuples of ``columns``, plus ``constants``
    (column -> the value every row has: a chunk's version, snapshot, timestamp).

    No dict is built per row. The constants are converted once (SQLite: by their
    column types' bind processors) and appended to every row; PostgreSQL copies the
    rows (``COPY``), SQLite runs one statement per row through the driver.
    """
    if not columns:
        raise ValueError("insert_tuples needs at least one column that differs between rows")
    if not rows:
        return
    fixed = {**_python_defaults(table, [*columns, *(constants or {})]), **(constants or {})}
    names = [*columns, *fixed]
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if len(rows) < COPY_FROM:
        bulk_insert(
            session,
            table,
            [{**dict(zip(columns, r, strict=True)), **fixed} for r in rows],
            ignore_conflicts_on=ignore_conflicts_on,
            json_text=json_text,
        )
        return
    if postgres:
        tail = tuple(compact_json(v) if _is_json(table, c) else v for c, v in fixed.items())
        encode = [i for i, c in enumerate(columns) if _is_json(table, c) and c not in json_text]
        if encode:
            rows = [
                tuple(
                    compact_json(v) if i in encode and v is not None else v for i, v in enumerate(r)
                )
                for r in rows
            ]
        with driver_errors(conn, f"COPY {table.name}"):
            _copy_tuples(conn, table, names, rows, tail, ignore_conflicts_on)
        return
    # The statement in the rows' own column order (a compiled one follows the table's).
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in names)})"
        f" VALUES ({', '.join('?' for _ in names)})"
    )
    if ignore_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in ignore_conflicts_on)}) DO NOTHING"
    tail = tuple(_processed(conn, table, c, [v])[0] for c, v in fixed.items())
    converters = [
        (i, fn)
        for i, c in enumerate(columns)
        if c not in json_text and (fn := _processor(conn, table, c)) is not None
    ]
    if converters:
        listed = [list(r) for r in rows]
        for i, fn in converters:
            for r, v in zip(listed, fn([r[i] for r in listed]), strict=True):
                r[i] = v
        rows = [tuple(r) for r in listed]
    # Errors arrive wrapped (IntegrityError etc.), as from session.execute().
    conn.exec_driver_sql(sql, [r + tail for r in rows])


def _python_defaults(table: Table, given: Collection[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns not ``given`` (COPY would leave them null):
    evaluated once, the same for every row, like the chunk's other constants."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.primary_key:
            continue
        if default.is_scalar:
            out[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            out[column.name] = default.arg(None)  # type: ignore[attr-defined]
        else:  # pragma: no cover - the ledger's tables have no other Python-side defaults
            raise ValueError(f"{table.name}.{column.name}: give its value")
    return out


def _is_json(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, JSON)


@contextmanager
def driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """Raise the driver's errors inside the block as SQLAlchemy's, as
    ``session.execute`` does: a COPY through the raw connection would otherwise raise
    psycopg's own ``UniqueViolation``, which the callers that fall back to the careful
    path on ``IntegrityError`` (a record written meanwhile) would not catch."""
    base = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(statement, None, exc, base) from exc


def _processed(conn: Connection, table: Table, column: str, values: list[Any]) -> list[Any]:
    fn = _processor(conn, table, column)
    return values if fn is None else fn(values)


def _copy_tuples(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    tail: tuple[Any, ...],
    ignore_conflicts_on: Sequence[str] | None,
) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    target = table.name
    listed = ", ".join(f'"{c}"' for c in names)  # column names come from our own models
    with raw.cursor() as cur:
        if ignore_conflicts_on:
            cur.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "_rows_{target}" ON COMMIT DELETE ROWS'
                f' AS SELECT * FROM "{target}" WITH NO DATA'
            )
            copy_into = f'"_rows_{target}"'
        else:
            copy_into = f'"{target}"'
        with cur.copy(f"COPY {copy_into} ({listed}) FROM STDIN") as copy:
            write_copy_text(copy, rows, tail)
        if ignore_conflicts_on:
            keys = ", ".join(f'"{c}"' for c in ignore_conflicts_on)
            cur.execute(
                f'INSERT INTO "{target}" ({listed}) SELECT {listed} FROM "_rows_{target}"'
                f" ON CONFLICT ({keys}) DO NOTHING"
            )
            cur.execute(f'DELETE FROM "_rows_{target}"')


# COPY's text format: a tab between fields, a newline after each row, \\N for null,
# and backslash, tab, newline and carriage return escaped inside a field.
_COPY_BLOCK = 2_000


def copy_field(value: Any) -> str:
    """One value as a field of COPY's text format (None, text, integers, booleans,
    decimals, dates and times: what the ledger's bulk rows hold)."""
    if isinstance(value, str):  # an enum member's text, too
        # Looking for the four characters is far cheaper than str.translate, and they
        # are rare (a trace's JSON escapes its own control characters).
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__} {value!r}")


def _copy_column(values: list[Any]) -> list[str]:
    """A column's values as COPY text fields: text and integer columns in one pass each
    (no call per value), anything else value by value."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if all(issubclass(k, str) for k in kinds):
        return [
            "\\N"
            if v is None
            else copy_field(v)
            if "\\" in v or "\t" in v or "\n" in v or "\r" in v
            else v
            for v in values
        ]
    if kinds <= {int}:
        return ["\\N" if v is None else str(v) for v in values]
    return list(map(copy_field, values))


def write_copy_text(copy: Any, rows: Sequence[tuple[Any, ...]], tail: tuple[Any, ...]) -> None:
    """Write ``rows``, each followed by the fields ``tail`` (the same for every row, made
    into text once), to a ``COPY … FROM STDIN`` in text format, in blocks of rows.

    Faster than the driver's ``write_row``, which adapts every value of every row: the
    rows are made into text column by column."""
    end = "".join(f"\t{copy_field(v)}" for v in tail) + "\n"
    for start in range(0, len(rows), _COPY_BLOCK):
        block = rows[start : start + _COPY_BLOCK]
        columns = [_copy_column(list(c)) for c in zip(*block, strict=True)]
        lines = map("\t".join, zip(*columns, strict=True))
        copy.write(end.join(lines) + end)


def _decoded(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _executemany(
    conn: Connection,
    table: Table,
    stmt: Any,
    rows: Sequence[dict[str, Any]],
    json_text: Collection[str],
) -> bool:
    """Run ``stmt`` for every row through the driver; False if a column the rows lack
    needs a Python-side default (the caller then lets SQLAlchemy fill it in)."""
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    order = list(compiled.positiontup or ())
    if set(order) != set(rows[0]):
        return False
    columns = []
    for name in order:
        values = [row[name] for row in rows]
        fn = None if name in json_text else _processor(conn, table, name)
        columns.append(values if fn is None else fn(values))
    # Errors arrive wrapped (IntegrityError etc.), as from session.execute().
    conn.exec_driver_sql(str(compiled), list(zip(*columns, strict=True)))
    return True


def _processor(
    conn: Connection, table: Table, name: str
) -> Callable[[list[Any]], list[Any]] | None:
    """Convert a column's values with its type's bind processor, each distinct value
    once where values are hashable (a chunk's rows share a handful of timestamps)."""
    type_ = table.c[name].type
    fn = type_._cached_bind_processor(conn.dialect)
    if fn is None:
        return None
    if isinstance(type_, JSON):
        return lambda values: list(map(fn, values))

    def convert(values: list[Any]) -> list[Any]:
        try:
            done = {v: fn(v) for v in set(values)}
        except TypeError:  # unhashable values
            return list(map(fn, values))
        return [done[v] for v in values]

    return convert


def _copy(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    ignore_conflicts_on: Sequence[str] | None,
    json_text: Collection[str],
) -> None:
    columns = list(rows[0])
    encode = [
        i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON) and c not in json_text
    ]
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
        with cur.copy(f"COPY {copy_into} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = [row[c] for c in columns]
                for i in encode:
                    if values[i] is not None:
                        values[i] = compact_json(values[i])
                copy.write_row(values)
        if ignore_conflicts_on:
            keys = ", ".join(f'"{c}"' for c in ignore_conflicts_on)
            cur.execute(
                f'INSERT INTO "{target}" ({names}) SELECT {names} FROM "_bulk_{target}"'
                f" ON CONFLICT ({keys}) DO NOTHING"
            )
            cur.execute(f'DELETE FROM "_bulk_{target}"')
