"""The fast path for a Parquet file: DuckDB's ``read_parquet``, row numbers included.

Taken when every mapped column has a type DuckDB and Arrow read alike
(:func:`same_type_both_ways`); otherwise, or when a row group cannot be read, the
per-row-group reader (:mod:`huiqi.profiles.parquetread`) keeps the readable ones.

The stage is a table, or, where the import never rewrites a staged cell (every
layout but relations, whose persons are masked in place), a *view* over the file:
the cells are rendered as text when a check reads them, and a city's yearly file is
not copied into a temporary table that spills to disk under the import's memory limit
only to be read back once (:func:`huiqi.profiles.importer` checks a view's rows before
its transaction begins, and a damaged data page, first decoded there, sends the file to
the per-row-group reader).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from huiqi.profiles.parquet_empty import may_hold_empty_rows, not_empty_sql
from huiqi.profiles.readers import Source
from huiqi.profiles.sqlexpr import col, num, sql
from huiqi.profiles.stagesql import STAGE, create_stage, stage_select, typed_twins

# The file as DuckDB reads it, under the view: its path is an argument of DuckDB's
# reader (a relation), never text in a statement.
FILE_VIEW = "_stage_file"


def same_type_both_ways(arrow_type: pa.DataType) -> bool:
    """Whether DuckDB's Parquet reader gives a column of this type the type that Arrow
    gives it. Arrow restores some types from its own metadata (a duration is stored as
    an integer, for instance); columns of those go to the row-group reader."""
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return same_type_both_ways(arrow_type.value_type)
    if pa.types.is_struct(arrow_type):
        return all(same_type_both_ways(f.type) for f in arrow_type)
    if pa.types.is_map(arrow_type):
        return same_type_both_ways(arrow_type.key_type) and same_type_both_ways(
            arrow_type.item_type
        )
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_integer(arrow_type)
        or pa.types.is_float32(arrow_type)
        or pa.types.is_float64(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_date32(arrow_type)
        or pa.types.is_timestamp(arrow_type)
        or pa.types.is_decimal128(arrow_type)
    )


def stage_parquet(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    positions: dict[int, str],
    *,
    view: bool = False,
) -> int | None:
    """Stage a Parquet file (a view over it with ``view``); the rows, or None to fall back."""
    schema = pq.read_schema(source.path)
    if not all(same_type_both_ways(schema.field(p).type) for p in positions):
        return None
    width = len(source.headers)
    drop_stage(con)
    if view:
        con.read_parquet(str(source.path), file_row_number=True).create_view(
            FILE_VIEW, replace=True
        )
        read: exp.Expression = exp.to_identifier(FILE_VIEW)
    else:
        read = exp.Anonymous(
            this="read_parquet",
            expressions=[
                exp.Placeholder(),
                exp.EQ(this=exp.var("file_row_number"), expression=exp.true()),
            ],
        )
    # Columns by position (c0, c1...): the file's own names never enter the SQL text.
    table = exp.Table(
        this=read,
        alias=exp.TableAlias(
            this=exp.to_identifier("p"),
            columns=[exp.to_identifier(f"c{i}") for i in range(width)],
        ),
    )
    numbered = exp.select(
        exp.alias_(exp.Add(this=col("file_row_number"), expression=num(1)), "_line"),
        exp.alias_(exp.cast(num(width), "INTEGER"), "_cells"),
        exp.alias_(exp.cast(exp.null(), "VARCHAR"), "_problem"),
        *(col(f"c{p}") for p in positions),
    ).from_(table)
    if may_hold_empty_rows(source.path):
        # Blank rows under the table are skipped, as a CSV file's blank lines are.
        numbered = numbered.where(not_empty_sql([schema.field(i).type for i in range(width)]))
    types = {p: schema.field(p).type for p in positions}
    twins = typed_twins(types, positions)
    select = stage_select(types, positions, source.headers, numbered.subquery("n"), twins)
    if view:
        con.execute(
            sql(
                exp.Create(
                    this=exp.to_table(STAGE),
                    kind="VIEW",
                    expression=select,
                    properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                )
            )
        )
    else:
        create_stage(con, list(positions.values()), {positions[p]: t for p, t in twins.items()})
        try:
            con.execute(sql(exp.insert(select, STAGE)), [str(source.path)])
        except duckdb.Error:
            drop_stage(con)
            return None
    # Counted from the file's footer (no data page decoded) unless empty rows are skipped.
    row = con.execute(sql(exp.select(exp.func("count", exp.Star())).from_(STAGE))).fetchone()
    return int(row[0]) if row else 0


def is_view(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the stage is a view over the file (its data pages not decoded yet)."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?", [STAGE]
    ).fetchone()
    return bool(row and row[0])


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the stage, a table or a view, and the file's view under it."""
    # Our own names (STAGE, FILE_VIEW), never a file's.
    if is_view(con):
        con.execute(f"DROP VIEW {STAGE}")
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")
    con.execute(f"DROP VIEW IF EXISTS {FILE_VIEW}")
