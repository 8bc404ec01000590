"""Excel workbooks, ``.xlsx`` and the older binary ``.xls``: the sheets that hold a table,
and their rows as text.

A workbook may keep its data on any sheet (a cover sheet or notes first is
common), so every sheet whose first non-empty row could be a header is offered
to the importer, which keeps the one whose header fits the mapping; ``--sheet``
names one. Cells arrive as the text a person sees in Excel. Line numbers are
sheet rows. The two formats differ only in how a sheet's cells are read
(:mod:`huiqi.profiles.xlsread` for ``.xls``); what counts as a row, the header and
the batches is the same.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from huiqi.errors import ImportFileError
from huiqi.profiles.totalsrow import TOTAL_CELL

# A sheet's rows: (sheet row, the cells as text, None where empty), every row included.
SheetRows = Iterator[tuple[int, list[str | None]]]


def excel_text(value: object) -> str | None:
    """A cell value as the text a person sees in Excel.

    Floats are rounded to 15 significant digits, as Excel displays them, so that a
    computed 0.1 + 0.2 arrives as "0.3" rather than "0.30000000000000004". A float of
    16 or more integer digits has already lost its last digits (Excel keeps 15): an
    18-digit USCC typed into a number cell is stored as 9.13100001234568E+17. It
    arrives in that scientific notation, which the checks refuse with their reason,
    never as "913100001234568000", digits the registry never wrote.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and abs(value) >= 1e15:
            return format(value, ".15G")
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def percent_text(value: object) -> str | None:
    """A number a cell shows as a percentage, as shown: "30%" for 0.3. Read as its
    value, a 持股比例(%) of 30% was stored as 0.3 (per cent), and a 30 % shareholder
    ceased to be a related party."""
    text = excel_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or text is None:
        return text
    try:
        shown = Decimal(text) * 100
    except ArithmeticError:
        return text
    return format(shown.normalize(), "f") + "%"


def _cell_text(cell: Any) -> str | None:
    value = cell.value
    if type(value) in (int, float) and "%" in (getattr(cell, "number_format", None) or ""):
        return percent_text(value)
    return excel_text(value)


def _open_workbook(path: Path) -> Any:
    import openpyxl  # imported here: only Excel imports pay for it

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a bad file
        raise ImportFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc


# A cell holding a formula and no stored result (``<c r="C2"><f>1+1</f></c>``): what a
# program that writes workbooks without computing them leaves. openpyxl reads such a
# cell as empty, which would clear the field's stored value.
_UNCOMPUTED = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*>\s*'
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
# A merged range of cells (``<mergeCell ref="A2:A4"/>``): Excel shows the top-left cell's
# value over the whole range; the file keeps it in that cell only.
_MERGE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"'
)
_CHUNK = 1 << 20
_OVERLAP = 1 << 15  # longer than any one cell the pattern matches (a formula: 8,192 chars)
# A merged range: first sheet row, first column (0 for A), last row, last column.
Merge = tuple[int, int, int, int]


def uncomputed_cells(stream: Any) -> dict[int, list[str]]:
    """The cells of a sheet's XML (a binary stream) that hold a formula whose result the
    file does not keep, by sheet row: {2: ["C2"]}."""
    return scan_sheet(stream)[0]


def scan_sheet(stream: Any) -> tuple[dict[int, list[str]], list[Merge]]:
    """One pass over a sheet's XML (a binary stream): :func:`uncomputed_cells`, and the
    merged ranges of cells."""
    found: dict[int, list[str]] = {}
    merges: set[Merge] = set()
    seen: set[tuple[bytes, bytes]] = set()
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        text = tail + chunk
        for match in _UNCOMPUTED.finditer(text):
            key = (match[1], match[2])
            if key not in seen:
                seen.add(key)
                found.setdefault(int(match[2]), []).append((match[1] + match[2]).decode())
        for m in _MERGE.finditer(text):
            first, last = column_index(m[1].decode()), column_index(m[3].decode())
            merges.add((int(m[2]), first, int(m[4]), last))
        if not chunk:
            return found, sorted(merges)
        tail = text[-_OVERLAP:]


class FilledDown:
    """Cells under the top of a range merged down several rows (a yearly sheet's USCC and
    name merged over each enterprise's years): read as the top cell's value, as Excel shows
    them, where the file keeps nothing. ``lines``: the sheet row of each cell so read."""

    def __init__(self, merges: list[Merge]) -> None:
        self._starting: dict[int, list[Merge]] = {}
        self._under: dict[int, list[Merge]] = {}
        for m in merges:
            first, _, last, _ = m
            if last > first:
                self._starting.setdefault(first, []).append(m)
                for row in range(first + 1, last + 1):
                    self._under.setdefault(row, []).append(m)
        self._tops: dict[tuple[int, int], str] = {}
        self.lines: list[int] = []

    def fill(self, number: int, texts: list[str | None]) -> list[str | None]:
        """A data row's cells, those under a merged range's top cell filled from it."""
        for first, left, _, right in self._starting.get(number, ()):
            for c in range(left, right + 1):
                top = texts[c] if c < len(texts) else None
                if top is not None and top.strip():
                    self._tops[(first, c)] = top
        for first, left, _, right in self._under.get(number, ()):
            for c in range(left, right + 1):
                top = self._tops.get((first, c))
                if top is None or (c < len(texts) and (texts[c] or "").strip()):
                    continue
                texts.extend([None] * (c + 1 - len(texts)))
                texts[c] = top
                self.lines.append(number)
        return texts


def column_index(ref: str) -> int:
    """The column of a cell reference, 0 for A: "C2" -> 2, "AA7" -> 26."""
    index = 0
    for ch in ref.rstrip("0123456789"):
        index = index * 26 + ord(ch) - ord("A") + 1
    return index - 1


def uncomputed_problem(refs: list[str], names: Mapping[int, str] | None = None) -> str:
    """Why a row with formulas of no stored result is rejected, and what to do; ``names``:
    each column's "column '营业收入(元)', field 'revenue'", said after its cell."""
    cells = ", ".join(
        f"{r} ({names[column_index(r)]})" if names and column_index(r) in names else r for r in refs
    )
    one = len(refs) == 1
    return (
        f"{'cell' if one else 'cells'} {cells} {'holds a formula' if one else 'hold formulas'}"
        f" whose result the file does not keep (it was written by a program that does not"
        " compute formulas); open the workbook in Excel or LibreOffice and save it, so that"
        " every result is stored, or paste the values"
    )


def _total_row(texts: list[str | None]) -> bool:
    """Whether a row opens with a total word (合计, 总计, 小计, Total) in its leftmost filled
    cell: a sheet's total row, whose =SUM(...) cells a program that does not compute
    formulas leaves without results. It is refused as a total row, never stored (the
    importer's checks say so), not sent to be re-saved in Excel as if it held data."""
    first = next((t for t in texts if t and t.strip()), None)
    return first is not None and re.fullmatch(TOTAL_CELL, first) is not None


class XlsxBook:
    """An ``.xlsx`` workbook's sheets and their rows (openpyxl, read-only)."""

    def __init__(self, path: Path) -> None:
        self._wb = _open_workbook(path)

    def scan(self, sheet: str) -> tuple[dict[int, list[str]], list[Merge]]:
        """:func:`scan_sheet` of ``sheet``."""
        with self._wb[sheet]._get_source() as stream:
            return scan_sheet(stream)

    def sheet_names(self) -> list[str]:
        return [sheet.title for sheet in self._wb.worksheets]

    def rows(self, sheet: str) -> SheetRows:
        # Read-only worksheets yield an empty tuple for rows missing from the XML, so
        # enumerating gives the true sheet row number.
        # Cells, not values: a number shown as a percentage is read as shown.
        for number, row in enumerate(self._wb[sheet].iter_rows(), start=1):
            yield number, [_cell_text(c) for c in row]

    def close(self) -> None:
        self._wb.close()


Book = Any  # XlsxBook or xlsread.XlsBook: sheet_names(), rows(sheet), close()


def open_book(path: Path) -> Book:
    if path.suffix.lower() == ".xls":
        from huiqi.profiles.xlsread import XlsBook

        return XlsBook(path)
    return XlsxBook(path)


def _filled(rows: SheetRows) -> SheetRows:
    """The rows with a non-blank cell, trailing empty cells dropped."""
    for number, texts in rows:
        if any(t and t.strip() for t in texts):
            # Sheets report trailing formatted-but-empty columns.
            while texts and not (texts[-1] or "").strip():
                texts.pop()
            yield number, texts


def sheet_headers(path: Path) -> dict[str, list[str]]:
    """The header row (first non-empty row) of every sheet that is not empty, in order."""
    book = open_book(path)
    try:
        found = {}
        for name in book.sheet_names():
            first = next(_filled(book.rows(name)), None)
            if first is not None:
                found[name] = [t or "" for t in first[1]]
        return found
    finally:
        book.close()


def sheet_rows(path: Path, sheet: str, limit: int) -> list[tuple[int, list[str]]]:
    """The first ``limit`` non-empty rows of a sheet: where its header may be."""
    book = open_book(path)
    try:
        found = []
        for number, cells in _filled(book.rows(sheet)):
            found.append((number, [t or "" for t in cells]))
            if len(found) >= limit:
                break
        return found
    finally:
        book.close()


def sheet_batches(
    path: Path,
    sheet: str,
    width: int,
    batch: Callable[..., pa.RecordBatch],
    batch_rows: int,
    *,
    header_line: int | None = None,
    used: Collection[int] | None = None,
    names: Mapping[int, str] | None = None,
    filled: list[int] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The data rows of one sheet as batches built by ``batch``: the rows after the
    header (the first non-empty row, or the sheet row ``header_line``). A row whose cell
    in a ``used`` column (0 for A; every column when None) holds a formula with no stored
    result is given that as its problem: read as empty, it would clear a stored value.
    ``names``: how the problem names a column (its header and field). Cells under the top
    of a range merged down several rows read as its value (:class:`FilledDown`); their
    sheet rows are appended to ``filled``, a cell each."""
    from huiqi.profiles.readers import count_cells, fit

    book = open_book(path)
    lines: list[int] = []
    cells: list[int] = []
    rows: list[list] = []
    problems: list[str | None] = []
    down = FilledDown([])
    try:
        uncomputed, merges = book.scan(sheet) if isinstance(book, XlsxBook) else ({}, [])
        down = FilledDown(merges)
        if used is not None:
            wanted = set(used)
            uncomputed = {
                row: kept
                for row, refs in uncomputed.items()
                if (kept := [r for r in refs if column_index(r) in wanted])
            }
        seen_header = False
        for number, texts in _filled(book.rows(sheet)):
            if header_line is not None:
                if number <= header_line:
                    continue
            elif not seen_header:
                seen_header = True
                continue
            texts = down.fill(number, texts)
            lines.append(number)
            cells.append(max(count_cells(texts, width), width))
            rows.append(fit(texts, width))
            refs = uncomputed.get(number)
            problems.append(
                uncomputed_problem(refs, names) if refs and not _total_row(texts) else None
            )
            if len(rows) >= batch_rows:
                yield batch(width, lines, cells, rows, problems)
                lines, cells, rows, problems = [], [], [], []
    finally:
        book.close()
        if filled is not None:
            filled.extend(down.lines)
    if rows:
        yield batch(width, lines, cells, rows, problems)
