"""A backend's source relations into PostgreSQL temporary tables, as data (COPY), never SQL text.

The column types follow the Parquet files' (the store's types): text columns are
``COLLATE "C"`` so that text compares by code point, as in DuckDB, Spark and the
reference evaluator, whatever the database's own locale.

The rows travel as CSV that DuckDB writes from the Parquet file and PostgreSQL's
``COPY … (FORMAT csv)`` reads: an unquoted empty field is NULL and an empty string is
written quoted (``""``), decimals and dates are written exactly, and a list column is
written as a PostgreSQL array literal. Copying row by row through Python
(``write_row``) took 92-103 s for a 500,000-enterprise frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql
from sqlglot import exp

from huiqi.engine.sql.dialect import PostgresDialect
from huiqi.errors import ConfigError

# Bytes of CSV sent to the server at a time while copying.
COPY_CHUNK = 1 << 20


def pg_type(t: pa.DataType) -> sql.Composable:
    """The PostgreSQL type of an Arrow column type."""
    if pa.types.is_dictionary(t):
        return pg_type(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return sql.SQL("TEXT COLLATE {}").format(
            sql.Identifier(PostgresDialect.text_collation or "C")
        )
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return sql.SQL("{}[]").format(pg_type(t.value_type))
    if pa.types.is_decimal(t):
        return sql.SQL("NUMERIC({}, {})").format(sql.Literal(t.precision), sql.Literal(t.scale))
    simple = {
        pa.bool_(): "BOOLEAN",
        pa.int8(): "SMALLINT",
        pa.int16(): "SMALLINT",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.uint8(): "SMALLINT",
        pa.uint16(): "INTEGER",
        pa.uint32(): "BIGINT",
        pa.float32(): "REAL",
        pa.float64(): "DOUBLE PRECISION",
        pa.date32(): "DATE",
    }
    if t in simple:
        return sql.SQL(simple[t])
    if pa.types.is_timestamp(t):
        return sql.SQL("TIMESTAMP")
    raise ConfigError(f"the postgres backend cannot store a column of type {t}")


def _list_type(t: pa.DataType) -> sql.Composable:
    # TEXT[] without the collation clause, which an array type does not take.
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = t.value_type
        if pa.types.is_string(inner) or pa.types.is_large_string(inner):
            return sql.SQL("TEXT[]")
    return pg_type(t)


def _pg_array(column: exp.Expression) -> exp.Expression:
    """A list as PostgreSQL's array literal text: ``{"a","b \\"c\\""}``, NULL elements
    as NULL, each element quoted with its backslashes and quotes escaped."""
    x = exp.to_identifier("x")
    escaped = exp.func(
        "replace",
        exp.func(
            "replace",
            exp.cast(x.copy(), "VARCHAR"),
            exp.Literal.string("\\"),
            exp.Literal.string("\\\\"),
        ),
        exp.Literal.string('"'),
        exp.Literal.string('\\"'),
    )
    element = exp.Case(
        ifs=[
            exp.If(
                this=exp.Is(this=x.copy(), expression=exp.Null()), true=exp.Literal.string("NULL")
            )
        ],
        default=exp.DPipe(
            this=exp.DPipe(this=exp.Literal.string('"'), expression=escaped),
            expression=exp.Literal.string('"'),
        ),
    )
    quoted = exp.Anonymous(
        this="list_transform",
        expressions=[column, exp.Lambda(this=element, expressions=[x.copy()])],
    )
    joined = exp.Anonymous(this="array_to_string", expressions=[quoted, exp.Literal.string(",")])
    braced = exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string("{"), expression=joined),
        expression=exp.Literal.string("}"),
    )
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=column.copy(), expression=exp.Null()), true=exp.Null())],
        default=braced,
    )


def _write_csv(path: Path, schema: pa.Schema, csv: Path) -> None:
    """The Parquet file as CSV that PostgreSQL's COPY reads as the same values."""
    columns: list[exp.Expression] = []
    for f in schema:
        column = exp.column(exp.to_identifier(f.name, quoted=True))
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            columns.append(exp.alias_(_pg_array(column), f.name, quoted=True))
        else:
            columns.append(column)
    select = exp.select(*columns).from_(
        exp.Anonymous(this="read_parquet", expressions=[exp.Placeholder()])
    )
    with duckdb.connect() as con:
        # Both paths are parameters, never SQL text.
        con.execute(
            f"COPY ({select.sql(dialect='duckdb')}) TO ? (FORMAT csv, HEADER false)",
            [str(path), str(csv)],
        )


def load_table(conn: psycopg.Connection[Any], name: str, path: Path) -> int:
    """Create the temporary table ``name`` like the Parquet file at ``path`` and copy its
    rows; returns how many."""
    parquet = pq.ParquetFile(str(path))
    schema = parquet.schema_arrow
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(f.name), _list_type(f.type)) for f in schema
    )
    # Only this connection's own temporary table: never a table of the database itself.
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("pg_temp", name)))
    conn.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({})").format(sql.Identifier(name), columns))
    copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(f.name) for f in schema)
    )
    csv = path.with_name(f"{path.stem}.pg-copy.csv")
    try:
        _write_csv(path, schema, csv)
        with conn.cursor().copy(copy) as out, csv.open("rb") as text:
            while chunk := text.read(COPY_CHUNK):
                out.write(chunk)
    finally:
        csv.unlink(missing_ok=True)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    return parquet.metadata.num_rows


def load_sources(conn: psycopg.Connection[Any], files: Mapping[str, Path]) -> None:
    for name, path in files.items():
        load_table(conn, name, path)
