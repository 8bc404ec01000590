"""The streamed text workbook reads back, cell for cell, in a real spreadsheet reader."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from huiqi.xlsxwrite import column_letters, write_text_workbook

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _read(path: Path) -> tuple[str, list[list[str]], list[str]]:
    book = load_workbook(path, read_only=True)
    sheet = book.active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    formats = [c.number_format for row in sheet.iter_rows(min_row=1, max_row=2) for c in row]
    title = sheet.title
    book.close()
    return title, rows, formats


def test_column_letters() -> None:
    assert [column_letters(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_cells_are_text_and_keep_what_looks_like_numbers_or_formulas(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    rows = [["00123", "1234.50", "'=1+1", "上海某某科技有限公司", "a & b <c>"]]
    assert write_text_workbook(path, ["a", "b", "c", "d", "e"], rows, sheet_name="批次") == 1
    title, read, formats = _read(path)
    assert title == "批次"
    assert read == [["a", "b", "c", "d", "e"], rows[0]]
    assert set(formats) == {"@"}


@settings(max_examples=60, deadline=None)
@given(
    header=st.lists(st.text(max_size=8), min_size=1, max_size=4),
    rows=st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=4), max_size=12),
)
def test_any_text_reads_back(header: list[str], rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "any.xlsx"
        assert write_text_workbook(path, header, rows, sheet_name="s") == len(rows)
        _, read, _ = _read(path)

    def expected(cells: list[str]) -> list[str]:
        return [_NOT_XML.sub("\ufffd", c) for c in cells]

    # The reader pads short rows to the sheet's width and drops empty trailing rows.
    width = max(len(r) for r in [header, *rows])
    want = [expected(r) + [""] * (width - len(r)) for r in [header, *rows]]
    while want and not any(want[-1]):
        want.pop()
    got = [r + [""] * (width - len(r)) for r in read]
    while got and not any(got[-1]):
        got.pop()
    assert got == want
