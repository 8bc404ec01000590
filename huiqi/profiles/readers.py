"""Registry file readers: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel .xlsx and Parquet.

Every reader yields the same thing: Arrow record batches with ``_line`` (where
the row is in the file, 1-based), ``_cells`` (how many cells the row had) and one
column ``c0``, ``c1``... per header position. CSV and Excel cells arrive as text;
Parquet columns keep their types and are turned into text by the importer in
SQL, so a 3.5-million-row file never passes through Python row by row.

Line numbers are what a person sees when opening the file:

* CSV: the physical line on which the record starts, from ``csv.reader.line_num``,
  so a quoted cell spanning several lines does not shift the lines after it.
* Excel: the sheet row (of the first worksheet).
* Parquet: the row index + 1 (there is no header line).

Blank lines and rows whose every cell is empty are skipped (spreadsheet exports
pad files with them); they are not counted as rows read.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.errors import ImportFileError

BATCH_ROWS = 100_000
CHUNK_BYTES = 1 << 20
FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}


@dataclass
class Source:
    """An opened registry file: its header, encoding and content hash."""

    path: Path
    format: str
    headers: list[str]
    sha256: str
    encoding: str | None = None
    delimiter: str = ","
    size: int = 0
    total_rows: int | None = None
    bytes_read: int = field(default=0, compare=False)

    def estimated_rows(self, rows_so_far: int) -> int:
        """Rows expected in all (exact for Parquet, estimated from bytes for CSV)."""
        if self.total_rows is not None:
            return self.total_rows
        if self.bytes_read and self.size:
            return max(rows_so_far, round(rows_so_far * self.size / self.bytes_read))
        return rows_so_far

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The data rows as Arrow batches (see the module docstring)."""
        if self.format == "csv":
            return _csv_batches(self)
        if self.format == "xlsx":
            return _xlsx_batches(self)
        return _parquet_batches(self)


def _hash_and_encoding(path: Path) -> tuple[str, str]:
    """SHA-256 of the file and its text encoding, in one pass over the bytes.

    UTF-8 is tried strictly first (with or without BOM): GB18030 decodes almost any
    byte string, so trying it first would misread UTF-8 files as mojibake.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    utf8, first = True, b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
            first = first or chunk[:3]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return digest.hexdigest(), "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    return digest.hexdigest(), "gb18030"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def open_source(path: Path) -> Source:
    """Open a registry file and read its header; ImportFileError if that is impossible."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(
            f"{path}: unknown file type '{path.suffix}'; use one of {sorted(FORMATS)}"
        )
    if fmt == "csv":
        sha, encoding = _hash_and_encoding(path)
        headers, delimiter = _csv_header(path, encoding)
        return Source(
            path,
            fmt,
            headers,
            sha,
            encoding=encoding,
            delimiter=delimiter,
            size=path.stat().st_size,
        )
    if fmt == "xlsx":
        return Source(path, fmt, _xlsx_header(path), _sha256(path), size=path.stat().st_size)
    try:
        metadata = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    return Source(
        path,
        fmt,
        list(metadata.schema.to_arrow_schema().names),
        _sha256(path),
        size=path.stat().st_size,
        total_rows=metadata.num_rows,
    )


def _empty(path: Path) -> ImportFileError:
    return ImportFileError(
        f"{path}: the file is empty; expected a header row followed by data rows"
    )


# ----------------------------------------------------------------------------- CSV
def _open_text(source_path: Path, encoding: str) -> TextIO:
    # newline="" is what the csv module needs to see quoted line breaks itself.
    return source_path.open("r", encoding=encoding, errors="strict", newline="")


def _csv_header(path: Path, encoding: str) -> tuple[list[str], str]:
    try:
        with _open_text(path, encoding) as fh:
            for line in fh:
                if line.strip():
                    # Tab-separated exports are common; commas win when both appear.
                    delimiter = "\t" if "\t" in line and "," not in line else ","
                    fh.seek(0)
                    reader = csv.reader(fh, delimiter=delimiter)
                    header = next(row for row in reader if any(c.strip() for c in row))
                    # Spreadsheet exports often end the header with empty cells.
                    while header and not header[-1].strip():
                        header.pop()
                    return header, delimiter
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}: the text is neither UTF-8 nor GB18030/GBK ({exc}); save it as UTF-8"
        ) from exc
    raise _empty(path)


def _batch(width: int, lines: list[int], cells: list[int], rows: list[list]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    arrays = [pa.array(lines, pa.int64()), pa.array(cells, pa.int32())]
    arrays += [pa.array(col, pa.string()) for col in columns]
    return pa.RecordBatch.from_arrays(arrays, ["_line", "_cells", *(f"c{i}" for i in range(width))])


def _count(row: list, width: int) -> int:
    """Cells in a row, not counting blank cells past the header (export padding)."""
    if len(row) > width and not any(c and str(c).strip() for c in row[width:]):
        return width
    return len(row)


def _fit(row: list, width: int) -> list:
    """Pad or cut a row to the header width (the true cell count is kept in _cells)."""
    if len(row) < width:
        return row + [None] * (width - len(row))
    return row[:width]


def _csv_batches(source: Source) -> Iterator[pa.RecordBatch]:
    width = len(source.headers)
    assert source.encoding is not None
    lines: list[int] = []
    cells: list[int] = []
    rows: list[list] = []
    try:
        with _open_text(source.path, source.encoding) as fh:
            reader = csv.reader(fh, delimiter=source.delimiter)
            seen_header = False
            previous_end = 0
            for row in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not "".join(row).strip():
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                lines.append(start)
                cells.append(_count(row, width))
                rows.append(row if len(row) == width else _fit(row, width))
                if len(rows) >= BATCH_ROWS:
                    # Read-ahead makes this approximate, which is all a progress bar needs.
                    source.bytes_read = fh.buffer.tell()
                    yield _batch(width, lines, cells, rows)
                    lines, cells, rows = [], [], []
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{source.path}: the text is neither UTF-8 nor GB18030/GBK ({exc}); save it as UTF-8"
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(f"{source.path}: malformed CSV ({exc})") from exc
    if rows:
        yield _batch(width, lines, cells, rows)


# ----------------------------------------------------------------------------- Excel
def excel_text(value: object) -> str | None:
    """A cell value as the text a person sees in Excel.

    Floats are rounded to 15 significant digits, as Excel displays them, so that a
    computed 0.1 + 0.2 arrives as "0.3" rather than "0.30000000000000004".
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _open_workbook(path: Path) -> Any:
    import openpyxl  # imported here: only Excel imports pay for it

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a bad file
        raise ImportFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc


def _xlsx_header(path: Path) -> list[str]:
    wb = _open_workbook(path)
    try:
        for row in wb.worksheets[0].iter_rows(values_only=True):
            texts = [excel_text(v) for v in row]
            if any(t and t.strip() for t in texts):
                # Read-only sheets report trailing formatted-but-empty columns.
                while texts and not (texts[-1] or "").strip():
                    texts.pop()
                return [t or "" for t in texts]
    finally:
        wb.close()
    raise _empty(path)


def _xlsx_batches(source: Source) -> Iterator[pa.RecordBatch]:
    width = len(source.headers)
    wb = _open_workbook(source.path)
    lines: list[int] = []
    cells: list[int] = []
    rows: list[list] = []
    try:
        seen_header = False
        # Read-only worksheets yield an empty tuple for rows missing from the XML,
        # so enumerating gives the true sheet row number.
        for number, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            texts = [excel_text(v) for v in row]
            if not any(t and t.strip() for t in texts):
                continue
            if not seen_header:
                seen_header = True
                continue
            lines.append(number)
            cells.append(max(_count(texts, width), width))
            rows.append(_fit(texts, width))
            if len(rows) >= BATCH_ROWS:
                yield _batch(width, lines, cells, rows)
                lines, cells, rows = [], [], []
    finally:
        wb.close()
    if rows:
        yield _batch(width, lines, cells, rows)


# ----------------------------------------------------------------------------- Parquet
def _parquet_batches(source: Source) -> Iterator[pa.RecordBatch]:
    width = len(source.headers)
    names = ["_line", "_cells", *(f"c{i}" for i in range(width))]
    offset = 0
    for batch in pq.ParquetFile(source.path).iter_batches(batch_size=BATCH_ROWS):
        n = batch.num_rows
        lines = pa.array(range(offset + 1, offset + n + 1), pa.int64())
        cells = pa.array([width] * n, pa.int32())
        offset += n
        yield pa.RecordBatch.from_arrays([lines, cells, *batch.columns], names)
