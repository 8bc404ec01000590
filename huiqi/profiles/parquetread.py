"""Parquet registry files, read one row group at a time.

Columns keep their types (the importer renders them as text in SQL). A row
group that cannot be read (a damaged data page behind an intact footer, for
instance) does not end the import: each of its rows comes back with a
``_problem`` naming the file, the row group and the rows it held, so those rows
are rejected and reported, and every readable row group is imported. Line
numbers are row index + 1 (there is no header line); empty rows are skipped
(:mod:`huiqi.profiles.parquet_empty`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.errors import ImportFileError
from huiqi.profiles.parquet_empty import may_hold_empty_rows, not_empty_mask


def parquet_batches(
    path: Path, width: int, names: list[str], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """Every row group's rows as batches of ``_line, _cells, _problem, c0...``."""
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    schema = pf.schema_arrow
    skip_empty = may_hold_empty_rows(path)
    offset = 0
    for group in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(group).num_rows
        try:
            table = pf.read_row_group(group)
        except (OSError, pa.ArrowException) as exc:
            problem = (
                f"row group {group + 1} of {pf.metadata.num_row_groups} (rows {offset + 1}-"
                f"{offset + n}) cannot be read ({' '.join(str(exc).split())}); the file is damaged: export it again. "
                "The other row groups were read"
            )
            for start in range(0, n, batch_rows):
                size = min(batch_rows, n - start)
                columns = [pa.nulls(size, readable_type(f.type)) for f in schema]
                yield _batch(offset + start, size, width, names, columns, problem)
            offset += n
            continue
        for batch in table.to_batches(max_chunksize=batch_rows):
            columns = [_readable(c) for c in batch.columns]
            rows = _batch(offset, batch.num_rows, width, names, columns, None)
            offset += batch.num_rows
            if skip_empty:
                # Blank rows are skipped, as a CSV file's blank lines are (parquet_empty).
                rows = rows.filter(not_empty_mask(columns))
            if rows.num_rows:
                yield rows


def readable_type(arrow_type: pa.DataType) -> pa.DataType:
    """The type a column is handed to DuckDB in, which cannot take every Arrow type
    ("Unsupported Internal Arrow Type for Decimal d:40,2,256", a half float): a 256-bit
    decimal that fits 38 digits becomes a 128-bit one and a wider one text (both exact),
    a half float a float."""
    if isinstance(arrow_type, pa.Decimal256Type):
        if arrow_type.precision <= 38:
            return pa.decimal128(arrow_type.precision, arrow_type.scale)
        return pa.string()
    if pa.types.is_float16(arrow_type):
        return pa.float32()
    return arrow_type


def _readable(column: pa.Array) -> pa.Array:
    wanted = readable_type(column.type)
    return column if wanted == column.type else column.cast(wanted)


def _batch(
    offset: int, n: int, width: int, names: list[str], columns: list, problem: str | None
) -> pa.RecordBatch:
    lines = pa.array(range(offset + 1, offset + n + 1), pa.int64())
    cells = pa.array([width] * n, pa.int32())
    problems = pa.array([problem] * n, pa.string())
    return pa.RecordBatch.from_arrays([lines, cells, problems, *columns], names)
