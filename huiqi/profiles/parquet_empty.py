"""Empty rows of a Parquet file: every cell null (or a blank text), as pandas writes the
blank rows under a sheet's table (``read_excel`` keeps them) into ``to_parquet``.

A CSV file's blank lines and a workbook's empty rows are skipped, never counted; a
Parquet file's were refused as "a value is required" for each key, and the import
reported rejects for rows that hold nothing (QA, qa5). They are skipped the same way,
by both Parquet readers (``parquetstage``'s DuckDB view or table, ``parquetread``'s row
groups), keeping every other row's line number.

Most registry files cannot hold one: a column without a null anywhere (the USCC, nearly
always) rules them out, which the footer's statistics tell without decoding a page.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlglot import exp

from huiqi.profiles.sqlexpr import and_, col, fn, is_null, lit, or_


def may_hold_empty_rows(path: Path) -> bool:
    """Whether a row of the file may be empty: every column has a null somewhere (or no
    statistics that say it has none)."""
    meta = pq.read_metadata(path)
    for column in range(meta.num_columns):
        nulls = 0
        for group in range(meta.num_row_groups):
            stats = meta.row_group(group).column(column).statistics
            if stats is None or not stats.has_null_count:
                break
            nulls += stats.null_count
        else:
            if nulls == 0 and meta.num_row_groups > 0:
                return False
    return True


def _text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def not_empty_sql(types: list[pa.DataType]) -> exp.Expression:
    """The condition that a row of columns ``c0``, ``c1``… holds something."""
    empty = [
        or_(is_null(col(f"c{i}")), exp.EQ(this=fn("trim", col(f"c{i}")), expression=lit("")))
        if _text(t)
        else is_null(col(f"c{i}"))
        for i, t in enumerate(types)
    ]
    return exp.not_(and_(*empty))


def not_empty_mask(columns: list[pa.Array]) -> pa.Array:
    """For each row of ``columns``, whether it holds something."""
    empty: pa.Array | None = None
    for column in columns:
        blank = pc.is_null(column)
        if _text(column.type):
            blank = pc.or_(blank, pc.equal(pc.utf8_trim_whitespace(column), ""))
        blank = pc.fill_null(blank, True)
        empty = blank if empty is None else pc.and_(empty, blank)
    assert empty is not None
    return pc.invert(empty)
