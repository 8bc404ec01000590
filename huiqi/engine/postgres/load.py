"""A backend's source relations into PostgreSQL temporary tables, as data (COPY), never SQL text.

The column types follow the Parquet files' (the store's types): text columns are
``COLLATE "C"`` so that text compares by code point, as in DuckDB, Spark and the
reference evaluator, whatever the database's own locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from huiqi.engine.sql.dialect import PostgresDialect
from huiqi.errors import ConfigError

# Rows read from Parquet at a time while copying.
BATCH_ROWS = 50_000


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


def load_table(conn: psycopg.Connection[Any], name: str, path: Path) -> int:
    """Create the temporary table ``name`` like the Parquet file at ``path`` and copy its rows."""
    parquet = pq.ParquetFile(str(path))
    schema = parquet.schema_arrow
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(f.name), _list_type(f.type)) for f in schema
    )
    # Only this connection's own temporary table: never a table of the database itself.
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("pg_temp", name)))
    conn.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({})").format(sql.Identifier(name), columns))
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(f.name) for f in schema)
    )
    n = 0
    with conn.cursor().copy(copy) as out:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for row in batch.to_pylist():
                out.write_row([row[f.name] for f in schema])
                n += 1
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
    return n


def load_sources(conn: psycopg.Connection[Any], files: Mapping[str, Path]) -> None:
    for name, path in files.items():
        load_table(conn, name, path)
