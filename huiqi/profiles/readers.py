"""Registry file readers: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel (.xlsx and the
older .xls) and Parquet.

Every reader yields the same thing: Arrow record batches with ``_line`` (where
the row is in the file, 1-based), ``_cells`` (how many cells the row had),
``_problem`` (why the row could not be read at all, else NULL) and one column
``c0``, ``c1``... per header position. CSV and Excel cells arrive as text;
Parquet columns keep their types and are turned into text by the importer in
SQL, so a 3.5-million-row file never passes through Python row by row.

A row that cannot be read costs that row, never the file: a CSV line in another
encoding, with a broken quote or a giant cell (:mod:`huiqi.profiles.csvrecords`),
or a damaged Parquet row group (:mod:`huiqi.profiles.parquetread`) comes back
with its ``_problem`` and is rejected and reported like any bad row.

Line numbers are what a person sees when opening the file:

* CSV: the physical line on which the record starts, so a quoted cell spanning
  several lines does not shift the lines after it.
* Excel: the sheet row (of the sheet read, :mod:`huiqi.profiles.xlsxread`).
* Parquet: the row index + 1 (there is no header line).

Blank lines and rows whose every cell is empty are skipped (spreadsheet exports
pad files with them); they are not counted as rows read.

The header is the first non-empty row, unless the importer chose a later one
(:meth:`Source.with_header`): an office's sheet often opens with a title and a
"unit: yuan" line above the header, and those rows are skipped, not read as data.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.errors import ImportFileError
from huiqi.profiles import textlines
from huiqi.profiles.csvhead import (
    CHUNK_BYTES,
    SNIFF_BYTES,
    cells_on_line,
    csv_header,
    csv_rows,
    empty_file,
    refuse_binary,
    utf16_as_utf8,
)
from huiqi.profiles.csvrecords import records
from huiqi.profiles.parquetread import parquet_batches
from huiqi.profiles.xlsxread import sheet_batches, sheet_headers, sheet_rows

BATCH_ROWS = 100_000
# How far down a CSV or a sheet the importer looks for the header row: a title, a
# subtitle, the reporting unit and a blank line or two is what offices put above it.
HEADER_ROWS = 10
META = ["_line", "_cells", "_problem"]
# Delimited text may come as .txt (Excel's "Unicode Text" and "Text (Tab delimited)") or .tsv.
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xls": "xls",
    ".parquet": "parquet",
}
WORKBOOKS = ("xlsx", "xls")


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
    sheet: str | None = None
    sheets: dict[str, list[str]] = field(default_factory=dict)
    bytes_read: int = field(default=0, compare=False)
    # CSV: physical lines, cells in the header line (trailing empty ones included),
    # and whether the file is plain enough for DuckDB's reader (textlines.FileFacts).
    lines: int | None = None
    header_cells: int = 0
    plain: bool = False
    # The header's line (CSV) or sheet row (Excel) when the importer chose a row below
    # the first non-empty one, with the rows above it that were skipped (title, unit).
    header_line: int | None = None
    above: list[tuple[int, list[str]]] = field(default_factory=list)
    # A row right under the header that gives each column's unit ("万元", "人"), which
    # is skipped with the header (``unit_row.unit_row_below``).
    unit_line: int | None = None
    # A CSV received in UTF-16 is read from a UTF-8 copy (``text``); ``encoding`` is then
    # the copy's, ``received`` what the file was written in.
    text: Path | None = None
    received: str | None = None
    # A workbook's cells read from the top of a range merged down over them: their sheet
    # rows, a cell each, once the rows have been read (``xlsxread.FilledDown``).
    filled_down: list[int] = field(default_factory=list, compare=False)

    @property
    def text_path(self) -> Path:
        """The file whose text is read: the file itself, or its UTF-8 copy."""
        return self.text or self.path

    def estimated_rows(self, rows_so_far: int) -> int:
        """Rows expected in all (exact for Parquet, estimated from bytes for CSV)."""
        if self.total_rows is not None:
            return self.total_rows
        if self.bytes_read and self.size:
            return max(rows_so_far, round(rows_so_far * self.size / self.bytes_read))
        return rows_so_far

    def batches(self, used: Mapping[int, str] | None = None) -> Iterator[pa.RecordBatch]:
        """The data rows as Arrow batches (see the module docstring); ``used``: the
        columns the mapping reads and their fields (all columns when None), where a
        workbook's cell that reads as empty but holds an uncomputed formula rejects its
        row, naming the cell's column and field."""
        if self.format == "csv":
            return _csv_batches(self)
        width = len(self.headers)
        if self.format in WORKBOOKS:
            assert self.sheet is not None
            return sheet_batches(
                self.path,
                self.sheet,
                width,
                _batch,
                BATCH_ROWS,
                header_line=self.unit_line or self.header_line,
                used=used,
                names=None
                if used is None
                else {i: f"column '{self.headers[i]}', field '{f}'" for i, f in used.items()},
                filled=self.filled_down,
            )
        names = [*META, *(f"c{i}" for i in range(width))]
        return parquet_batches(self.path, width, names, BATCH_ROWS)

    def on_sheet(self, sheet: str) -> Source:
        """The same workbook, read from another of its sheets."""
        # A tab named '2025年 数据 ' is typed as it looks, without the trailing space.
        alike = [s for s in self.sheets if _plain(s) == _plain(sheet)]
        sheet = sheet if sheet in self.sheets or len(alike) != 1 else alike[0]
        if sheet not in self.sheets:
            raise ImportFileError(
                f"{self.path}: no sheet '{sheet}' with data; sheets with data: {list(self.sheets)}"
            )
        return replace(
            self,
            sheet=sheet,
            headers=self.sheets[sheet],
            header_line=None,
            above=[],
            unit_line=None,
        )

    def header_rows(self) -> list[tuple[int, list[str]]]:
        """The first HEADER_ROWS non-empty rows, (line or sheet row, cells): where the
        header may be. A Parquet file's header is its schema."""
        if self.format == "csv":
            assert self.encoding is not None
            return csv_rows(self.text_path, self.encoding, self.delimiter, HEADER_ROWS)
        if self.format in WORKBOOKS:
            assert self.sheet is not None
            return sheet_rows(self.path, self.sheet, HEADER_ROWS)
        return [(0, self.headers)]

    def with_unit_row(self, line: int) -> Source:
        """The same file whose data starts after the unit row on ``line``, below its
        header; read line by line, as DuckDB's reader takes only a header above data."""
        return replace(self, unit_line=line, plain=False)

    def with_header(
        self, line: int, cells: list[str], above: list[tuple[int, list[str]]]
    ) -> Source:
        """The same file with its header ``cells`` on ``line`` (one of ``header_rows``);
        ``above`` are the non-empty rows before it, which are skipped. DuckDB's reader
        takes only a header on the first line, so a CSV is then read line by line."""
        padded = len(cells)
        if self.format == "csv":
            assert self.encoding is not None
            found = cells_on_line(self.text_path, self.encoding, self.delimiter, line)
            padded = max(padded, found)
        return replace(
            self,
            headers=cells,
            header_line=line,
            above=above,
            header_cells=padded,
            plain=False,
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def open_source(path: Path, scratch: Path | None = None) -> Source:
    """Open a registry file and read its header; ImportFileError if that is impossible.

    ``scratch``: a private folder where a CSV written in UTF-16 (Excel's "Unicode Text")
    is copied as UTF-8 to be read; without one such a file is refused.
    """
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(
            f"{path}: unknown file type '{path.suffix}'; use one of {sorted(FORMATS)}"
        )
    if fmt == "csv":
        with path.open("rb") as fh:
            start = fh.read(SNIFF_BYTES)
        refuse_binary(path, start)
        text, received = path, None
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # Excel's "Unicode Text" export: its lines cannot be split byte by byte as
            # UTF-8 and GBK lines are, so the whole file is copied as UTF-8 and read.
            text, received = utf16_as_utf8(path, scratch), "utf-16"
        facts = textlines.scan(text)
        headers, delimiter, cells, first_line = csv_header(text, facts.encoding)
        return Source(
            path,
            fmt,
            headers,
            facts.sha256 if received is None else _sha256(path),
            encoding=facts.encoding,
            delimiter=delimiter,
            size=text.stat().st_size,
            lines=facts.lines,
            header_cells=cells,
            plain=facts.plain and first_line,
            text=text if received else None,
            received=received,
        )
    if fmt in WORKBOOKS:
        sheets = sheet_headers(path)
        if not sheets:
            raise empty_file(path)
        first = next(iter(sheets))
        return Source(
            path,
            fmt,
            sheets[first],
            _sha256(path),
            size=path.stat().st_size,
            sheet=first,
            sheets=sheets,
        )
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


def _batch(
    width: int, lines: list[int], cells: list[int], rows: list[list], problems: list[str | None]
) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    arrays = [
        pa.array(lines, pa.int64()),
        pa.array(cells, pa.int32()),
        pa.array(problems, pa.string()),
    ]
    arrays += [pa.array(col, pa.string()) for col in columns]
    return pa.RecordBatch.from_arrays(arrays, [*META, *(f"c{i}" for i in range(width))])


def count_cells(row: list, width: int, padded: int | None = None) -> int:
    """Cells in a row, not counting blank cells past the header (export padding).

    ``padded``: in a CSV, the header line's own cell count with its trailing empty
    cells. Blank cells past it are no padding: a value holding an unquoted separator
    (``1,234``) split in two and pushed the row's later cells right, its last (an
    empty remarks column) past the header, and reading the row would shift its values.
    """
    limit = len(row) if padded is None else max(padded, width)
    if width < len(row) <= limit and not any(c and str(c).strip() for c in row[width:]):
        return width
    return len(row)


def fit(row: list, width: int) -> list:
    """Pad or cut a row to the header width (the true cell count is kept in _cells)."""
    if len(row) < width:
        return row + [None] * (width - len(row))
    return row[:width]


def _plain(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _csv_batches(source: Source) -> Iterator[pa.RecordBatch]:
    width = len(source.headers)
    padded = source.header_cells
    assert source.encoding is not None
    lines: list[int] = []
    cells: list[int] = []
    rows: list[list] = []
    problems: list[str | None] = []
    with source.text_path.open("rb") as fh:
        text = textlines.Lines(fh, source.encoding)
        seen_header = False
        last_skipped = source.unit_line or source.header_line
        for record in records(text, source.delimiter, width, padded or -1):
            if last_skipped is not None:
                # The rows above a chosen header (a title, the unit), the header itself
                # and a unit row under it.
                if record.line <= last_skipped:
                    continue
            elif not seen_header and record.problem is None:
                seen_header = True
                continue
            row = record.cells
            lines.append(record.line)
            cells.append(width if record.problem is not None else count_cells(row, width, padded))
            rows.append(row if len(row) == width else fit(row, width))
            problems.append(record.problem)
            if len(rows) >= BATCH_ROWS:
                # Read-ahead makes this approximate, which is all a progress bar needs.
                source.bytes_read = text.bytes_read()
                yield _batch(width, lines, cells, rows, problems)
                lines, cells, rows, problems = [], [], [], []
    if rows:
        yield _batch(width, lines, cells, rows, problems)
