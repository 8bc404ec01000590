"""Complaint tables between Arrow and the operational database, in bulk and in the
caller's transaction (an import, then a detection, may share one).

Rows go in column by column, never as one Python object per row: on SQLite one
statement runs for every row through the driver's ``executemany`` (values from Arrow
columns in batches); on PostgreSQL a batch is written as CSV by Arrow and streamed with
``COPY … FROM STDIN`` into a temporary table that one set-based statement then merges.
Rows come back the same ways: SQLite's cursor in batches into Arrow arrays, PostgreSQL's
``COPY (SELECT …) TO STDOUT`` read by Arrow's CSV reader. A million complaints cost
seconds this way where SQLAlchemy's per-row objects cost half a minute
(docs/benchmarks.md, complaints).
"""

from __future__ import annotations

import io
from itertools import repeat
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Column, Connection, MetaData, Table
from sqlalchemy.sql.expression import ClauseElement

BATCH = 50_000


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def execute_rows(
    conn: Connection, stmt: ClauseElement, table: pa.Table, constants: dict[str, Any] | None = None
) -> int:
    """Run ``stmt`` (bind parameters named after ``table``'s columns, or ``constants``)
    for every row of ``table`` through the driver; the number of rows it changed.

    Column values go to the driver as they are (Arrow gives str, int, None; dates are to
    be cast to text first); the constants through their bind parameters' types."""
    compiled: Any = stmt.compile(dialect=conn.dialect)
    order = list(compiled.positiontup or ())
    fixed = {}
    for name, value in (constants or {}).items():
        process = compiled.binds[name].type._cached_bind_processor(conn.dialect)
        fixed[name] = value if process is None else process(value)
    changed = 0
    for batch in table.select([n for n in order if n not in fixed]).to_batches(BATCH):
        values = {n: batch.column(n).to_pylist() for n in batch.schema.names}
        columns = [repeat(fixed[n]) if n in fixed else values[n] for n in order]
        # Errors arrive wrapped (IntegrityError, busy), as from session.execute().
        rows = list(zip(*columns, strict=False))  # the constants repeat without end
        result = conn.exec_driver_sql(
            compiled.string, rows, execution_options={"preserve_rowcount": True}
        )
        changed += max(result.rowcount, 0)
    return changed


def temporary(name: str, *columns: Column[Any]) -> Table:
    """A temporary table (dropped at commit) for :func:`copy_in`; create it, then drop it."""
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="drop")


def copy_in(conn: Connection, target: Table, table: pa.Table) -> None:
    """Stream ``table`` (its columns named as ``target``'s) into ``target`` with
    PostgreSQL's COPY, as CSV written by Arrow (empty unquoted: NULL)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    names = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in table.schema.names)
    into = conn.dialect.identifier_preparer.format_table(target)
    options = pacsv.WriteOptions(include_header=False)
    with raw.cursor() as cur, cur.copy(f"COPY {into} ({names}) FROM STDIN (FORMAT csv)") as copy:
        for batch in table.to_batches(BATCH):
            out = io.BytesIO()
            pacsv.write_csv(batch, out, options)
            copy.write(out.getbuffer())


def read_rows(conn: Connection, query: ClauseElement, types: dict[str, pa.DataType]) -> pa.Table:
    """The rows of ``query`` (no parameters; its columns labelled as ``types`` names them,
    in that order) as an Arrow table of those types."""
    sql = str(query.compile(dialect=conn.dialect))
    raw = conn.connection.driver_connection
    assert raw is not None
    names = list(types)
    if is_postgres(conn):
        out = io.BytesIO()
        with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                out.write(block)
        if out.tell() == 0:  # no rows (Arrow's reader refuses an empty file)
            return _empty(types)
        out.seek(0)
        return pacsv.read_csv(
            out,
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        ).select(names)
    # Text comes as bytes (CAST … AS BLOB) for Arrow to take as UTF-8: no Python str is
    # decoded and encoded again (a fifth of the reload of a million complaints).
    quote = conn.dialect.identifier_preparer.quote
    outer = ", ".join(
        f"CAST({quote(n)} AS BLOB) AS {quote(n)}" if pa.types.is_string(t) else quote(n)
        for n, t in types.items()
    )
    batches = []
    cur = raw.cursor()
    try:
        cur.execute(f"SELECT {outer} FROM ({sql})")
        # Each batch of row tuples becomes one struct array (Arrow transposes it in C++).
        fetched = pa.struct([(n, _as_fetched(t)) for n, t in types.items()])
        while rows := cur.fetchmany(BATCH):
            arrays = pa.array(rows, fetched).flatten()
            arrays = [a.cast(t) for a, t in zip(arrays, types.values(), strict=True)]
            batches.append(pa.RecordBatch.from_arrays(arrays, names=names))
    finally:
        cur.close()
    return pa.Table.from_batches(batches) if batches else _empty(types)


def _empty(types: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({n: pa.array([], t) for n, t in types.items()})


def _as_fetched(type_: pa.DataType) -> pa.DataType:
    """What SQLite's cursor gives for a column of this type: text as bytes, dates as text."""
    if pa.types.is_string(type_):
        return pa.binary()
    if pa.types.is_date(type_):
        return pa.string()
    return type_
