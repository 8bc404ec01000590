"""What a CSV file is before its rows are read: not a binary file under a ``.csv`` name,
a UTF-8 copy when it is UTF-16 text, its header line, its separator and its first rows
(where the importer looks for a header below a title).
"""

from __future__ import annotations

from pathlib import Path

from huiqi.errors import ImportFileError
from huiqi.fsmode import open_private
from huiqi.profiles import textlines
from huiqi.profiles.csvrecords import records

CHUNK_BYTES = 1 << 20


SNIFF_BYTES = 8  # the longest signature below
# The first bytes of files people send named .csv (a PDF renamed, a workbook saved under
# the wrong name), and what to call them.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive, such as an Excel .xlsx workbook (named .xlsx, it is read)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office 97-2003 file, such as an Excel .xls workbook"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)


def refuse_binary(path: Path, start: bytes) -> None:
    """ImportFileError for a file named .csv that is no text file: each line of a PDF (or
    a workbook, an image) was refused as "not GBK/GB18030", or its first line taken for a
    header the mapping did not know. Only a known signature: a NUL byte in a line of a
    real export costs that line alone."""
    what = next((name for magic, name in _SIGNATURES if start.startswith(magic)), None)
    if what is not None:
        raise ImportFileError(
            f"{path}: not a text (CSV) file whatever its name says: it looks like {what};"
            " export the data as CSV (UTF-8 or GBK) or as an .xlsx workbook and import that"
        )


def utf16_as_utf8(path: Path, scratch: Path | None) -> Path:
    """A UTF-8 copy of a UTF-16 text file in ``scratch`` (line breaks kept as they are)."""
    if scratch is None:
        raise ImportFileError(
            f"{path}: the file is UTF-16 text (Excel's 'Unicode Text' export); save it from "
            "Excel as 'CSV UTF-8 (comma delimited)', or import the .xlsx workbook"
        )
    copy = scratch / "utf16-as-utf8.csv"
    try:
        with (
            path.open("r", encoding="utf-16", newline="") as source,
            open_private(copy, "w", encoding="utf-8", newline="") as out,
        ):
            while chunk := source.read(CHUNK_BYTES):
                out.write(chunk)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}: the file starts as UTF-16 text but is not UTF-16 throughout "
            f"({exc.reason}); save it from Excel as 'CSV UTF-8 (comma delimited)'"
        ) from exc
    return copy


def empty_file(path: Path) -> ImportFileError:
    return ImportFileError(
        f"{path}: the file is empty; expected a header row followed by data rows"
    )


def csv_header(path: Path, encoding: str) -> tuple[list[str], str, int, bool]:
    """The header's cells, the delimiter, the header's cell count with trailing empty
    ones, and whether the header is the file's first line, on that line alone."""
    with path.open("rb") as fh:
        lines = textlines.Lines(fh, encoding)
        first = next((line for line in lines.iterate() if line.strip()), None)
        if first is None and lines.bad:
            raise ImportFileError(f"{path}, line {lines.bad[0].number}: {lines.bad[0].reason}")
    if first is None:
        raise empty_file(path)
    delimiter = delimiter_of(first)
    with path.open("rb") as fh:
        lines = textlines.Lines(fh, encoding)
        header = next(records(lines, delimiter, -1), None)
        first_line = header is not None and header.line == 1 and len(lines.record) == 1
    if header is None:
        raise empty_file(path)
    if header.problem is not None:
        raise ImportFileError(
            f"{path}, line {header.line}: the header cannot be read: {header.problem}"
        )
    cells = list(header.cells)
    # Spreadsheet exports often end the header with empty cells.
    while cells and not cells[-1].strip():
        cells.pop()
    return cells, delimiter, len(header.cells), first_line


# Separators registries use, by precedence: a header holding commas is comma-separated
# whatever else it holds; tab-separated exports are common, semicolons (a European-locale
# Excel's CSV) and bars (some mainframe extracts) less so.
DELIMITERS = (",", "\t", ";", "|")


def delimiter_of(header: str) -> str:
    return next((d for d in DELIMITERS if d in header), ",")


def cells_on_line(path: Path, encoding: str, delimiter: str, line: int) -> int:
    """How many cells the record on ``line`` has, trailing empty ones included (0 when
    no record starts there): a header found below a title pads its line as the file's
    rows do."""
    with path.open("rb") as fh:
        for record in records(textlines.Lines(fh, encoding), delimiter, -1):
            if record.line >= line:
                return len(record.cells) if record.line == line else 0
    return 0


def csv_rows(path: Path, encoding: str, delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    found: list[tuple[int, list[str]]] = []
    with path.open("rb") as fh:
        for record in records(textlines.Lines(fh, encoding), delimiter, -1):
            cells = list(record.cells)
            while cells and not cells[-1].strip():
                cells.pop()
            if record.problem is not None or not cells:
                continue
            found.append((record.line, cells))
            if len(found) >= limit:
                break
    return found
