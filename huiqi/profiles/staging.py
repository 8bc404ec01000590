"""Load a registry file into a DuckDB staging table of text columns.

The staging table ``_stage`` has ``_line``, ``_cells`` and one VARCHAR column per
mapped field, named after the dictionary field (never after the file's header).
Typed Parquet columns are turned into the text a person would have typed, in
SQL: floating-point numbers are rounded to 15 significant digits (what Excel
shows), so a stored 0.1 + 0.2 becomes "0.3" and an integral 12.0 becomes "12";
timestamps at midnight become dates; lists become ``;``-separated tags.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
from sqlglot import exp

from huiqi.profiles.readers import Source
from huiqi.profiles.sqlexpr import case, cast, col, fn, lit, num, sql

STAGE = "_stage"
Progress = Callable[[str, int, int], None]


def _float_text(x: exp.Expression) -> exp.Expression:
    digits = exp.Sub(
        this=num(14),
        expression=cast(fn("floor", fn("log10", fn("abs", x))), "INTEGER"),
    )
    # DuckDB prints a double in its shortest round-trip form, which is positional
    # between 1e-4 and 1e15; only the ".0" of integral values needs removing.
    rounded = cast(fn("round", x, digits), "VARCHAR")
    plain = fn("regexp_replace", rounded, lit(r"\.0$"), lit(""))
    magnitude = fn("abs", x)
    return case(
        (exp.EQ(this=x, expression=num(0)), lit("0")),
        (
            exp.and_(
                fn("isfinite", x),
                exp.GTE(this=magnitude, expression=num("1e-4")),
                exp.LT(this=magnitude, expression=num("1e15")),
            ),
            plain,
        ),
        default=cast(x, "VARCHAR"),
    )


def _timestamp_text(x: exp.Expression) -> exp.Expression:
    midnight = exp.EQ(this=cast(x, "TIME"), expression=cast(lit("00:00:00"), "TIME"))
    return case((midnight, cast(cast(x, "DATE"), "VARCHAR")), default=cast(x, "VARCHAR"))


def as_text(arrow_type: pa.DataType) -> Callable[[exp.Expression], exp.Expression]:
    """The SQL that renders a column of this Arrow type as text."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return lambda x: x
    if pa.types.is_floating(arrow_type):
        return _float_text
    if pa.types.is_timestamp(arrow_type):
        return _timestamp_text
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return lambda x: fn("array_to_string", x, lit(";"))
    return lambda x: cast(x, "VARCHAR")


def create_stage(con: duckdb.DuckDBPyConnection, fields: list[str]) -> None:
    columns = [
        exp.ColumnDef(this=exp.to_identifier("_line"), kind=exp.DataType.build("BIGINT")),
        exp.ColumnDef(this=exp.to_identifier("_cells"), kind=exp.DataType.build("INTEGER")),
        *(
            exp.ColumnDef(
                this=exp.to_identifier(f, quoted=True), kind=exp.DataType.build("VARCHAR")
            )
            for f in fields
        ),
    ]
    schema = exp.Schema(this=exp.to_table(STAGE), expressions=columns)
    con.execute(
        sql(
            exp.Create(
                this=schema,
                kind="TABLE",
                replace=True,
                properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            )
        )
    )


def load_stage(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    positions: dict[int, str],
    progress: Progress | None = None,
) -> int:
    """Stream the file into ``_stage``; returns the number of data rows read.

    ``progress(step, done, total)`` is called per batch with the rows read and the
    rows expected (exact for Parquet, estimated from the bytes read for CSV).
    """
    step = f"read {source.path.name}"
    fields = list(positions.values())
    create_stage(con, fields)
    rows = 0
    insert: str | None = None
    for batch in source.batches():
        if insert is None:
            # The batch schema is the same for every batch of one file.
            select = exp.select(col("_line"), col("_cells"))
            for position, field in positions.items():
                render = as_text(batch.schema.field(f"c{position}").type)
                select = select.select(exp.alias_(render(col(f"c{position}")), field, quoted=True))
            insert = sql(exp.insert(select.from_("_batch"), STAGE))
        con.register("_batch", batch)
        try:
            con.execute(insert)
        finally:
            con.unregister("_batch")
        rows += batch.num_rows
        if progress is not None:
            progress(step, rows, source.estimated_rows(rows))
    if progress is not None:
        progress(step, rows, rows)
    return rows
