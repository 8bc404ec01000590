"""A workbook whose USCC is merged down over each enterprise's years (a common office
layout for yearly figures) imports every year: a cell under the top of a range merged down
is read as the top cell's value, as Excel shows it, and the report says so with its lines.
Rows under the top were rejected with "a value is required", the merge being invisible."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.xlsxread import FilledDown, scan_sheet

HEADER = ["统一社会信用代码", "年度", "营业收入(元)", "研发费用(元)"]
PUDONG = uscc.make("91310115MA1H8R7C4")
XUHUI = uscc.make("91310104MA1K00234")


def _years(settings: Settings) -> list[tuple[str, int, Decimal | None]]:
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        rows = con.execute(
            "SELECT uscc, year, revenue FROM enterprise_years ORDER BY uscc, year"
        ).fetchall()
    return [(str(u), int(y), r) for u, y, r in rows]


def test_a_uscc_merged_down_over_its_years_is_read_on_every_row(tmp_path: Path) -> None:
    path = tmp_path / "tax.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2023-2025年纳税情况"])  # a title, merged across
    ws.merge_cells("A1:D1")
    ws.append(HEADER)
    ws.append([PUDONG, 2023, 100, 1])
    ws.append([None, 2024, 200, 2])
    ws.append([None, 2025, 300, 3])
    ws.append([XUHUI, 2024, 400, 4])
    ws.append([None, 2025, 500, 5])
    ws.append([None, 2025, 600, 6])  # not merged: its USCC is missing
    ws.merge_cells("A3:A5")
    ws.merge_cells("A6:A7")
    wb.save(path)
    data = Settings(tmp_path / "data")

    report = import_file(data, path, mapping="tax")

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 5, 1)
    assert _years(data) == [
        (XUHUI, 2024, Decimal("400.00")),
        (XUHUI, 2025, Decimal("500.00")),
        (PUDONG, 2023, Decimal("100.00")),
        (PUDONG, 2024, Decimal("200.00")),
        (PUDONG, 2025, Decimal("300.00")),
    ]
    assert report.merged_cells_filled == 3
    assert report.merged_cells_filled_lines == [4, 5, 7]
    assert (
        "Read 3 cell(s) under a merged cell as the merged cell's value, as Excel shows them"
        " (lines 4, 5, 7)" in report.summary()
    )
    assert json.loads(report.report_path.read_text("utf-8"))["merged_cells_filled"] == 3


def test_a_merge_over_the_header_rows_fills_no_data() -> None:
    # The header logic reads a header over two rows itself: a range merged down the two
    # header rows starts above the data and gives nothing to the rows under it.
    down = FilledDown([(1, 0, 2, 0)])
    assert down.fill(3, [None, "x"]) == [None, "x"]
    assert down.lines == []


def test_a_cell_with_its_own_value_under_a_merge_keeps_it() -> None:
    # openpyxl keeps only the top-left value of a merged range; a file written otherwise
    # may hold values under it: each keeps its own.
    down = FilledDown([(2, 0, 4, 1)])
    assert down.fill(2, ["A", "B"]) == ["A", "B"]
    assert down.fill(3, [None, "own"]) == ["A", "own"]
    assert down.fill(4, []) == ["A", "B"]
    assert down.lines == [3, 4, 4]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 5), st.integers(0, 6), st.integers(0, 3)),
        max_size=8,
    )
)
def test_merged_ranges_are_read_from_the_sheet_xml_as_openpyxl_writes_them(
    spans: list[tuple[int, int, int, int]],
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["x"])
    expected = set()
    taken: set[tuple[int, int]] = set()
    for row, col, height, width in spans:
        cells = {(r, c) for r in range(row, row + height + 1) for c in range(col, col + width + 1)}
        if cells & taken or (height == 0 and width == 0):
            continue  # Excel refuses overlapping ranges; one cell is no range
        taken |= cells
        ws.merge_cells(
            start_row=row, start_column=col + 1, end_row=row + height, end_column=col + width + 1
        )
        expected.add((row, col, row + height, col + width))
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z, z.open("xl/worksheets/sheet1.xml") as stream:
        _, merges = scan_sheet(stream)
    assert merges == sorted(expected)
