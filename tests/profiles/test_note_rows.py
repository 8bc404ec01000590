"""The notes and signature block below an office's table (注：…, 填表人：…, 填报日期：…) are
refused as notes, not as a malformed or missing USCC nor as a signature in a coded
column (QA, qa5). They are still not imported and still counted among the rejects, as a
total row is; the enterprises' rows are imported."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.totalsrow import NOTE_SHOWN

PUDONG = uscc.make("91310115MA1H8R7C4")
XUHUI = uscc.make("91310104MA1K3T5D2")
NOTE = (
    "' is a note below the table, not an enterprise's: delete the row (notes are not"
    " imported; the other rows are)"
)


def _csv(folder: Path, head: list[str], rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "registry.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows([head, *rows])
    return path


@pytest.mark.parametrize(
    "note",
    [
        "注：本表数据截至2025年12月31日",
        "注1: 金额单位为元",
        "填表人：张三",
        "填报日期：2025年1月10日",
    ],
)
def test_a_note_in_the_uscc_column_is_refused_as_a_note(tmp_path: Path, note: str) -> None:
    path = _csv(tmp_path, ["统一社会信用代码", "注册资本(元)"], [[PUDONG, "100"], [note, ""]])
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages == [
        f"registry.csv, line 3, column '统一社会信用代码' (field 'uscc'): '{note}{NOTE}"
    ]


def test_a_note_in_the_name_column_beside_an_empty_uscc_is_refused_as_a_note(
    tmp_path: Path,
) -> None:
    rows = [
        [PUDONG, "甲公司", "310115"],
        ["", "注：以上企业均为2025年新设", ""],
        ["", "乙公司", ""],
    ]
    path = _csv(tmp_path, ["统一社会信用代码", "企业名称", "注册区划代码"], rows)
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert (report.rows_accepted, report.rows_rejected) == (1, 2)
    prefix = "registry.csv, line {}, column '统一社会信用代码' (field 'uscc'): "
    assert report.messages == [
        prefix.format(3) + f"'注：以上企业均为2025年新设{NOTE}",
        prefix.format(4) + "a value is required",  # a name without a code is no note
    ]


def test_the_signature_block_of_a_workbook_is_refused_as_notes(tmp_path: Path) -> None:
    """The footnote and the signature line in the row-number column (序号), the other
    signatures in imported columns (a name, a district): one reason each row."""
    long_note = "注：1. 本表数据来源于市场主体登记系统；2. 注册资本单位为万元；3. 成立日期为营业执照签发日期。"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "统一社会信用代码", "企业名称", "注册区划代码", "注册资本(元)"])
    sheet.append([1, PUDONG, "甲公司", "310115", 100])
    sheet.append([2, XUHUI, "乙公司", "徐汇区", 50])
    sheet.append([None] * 5)
    sheet.append([long_note])
    sheet.append(["填表人：张三", None, "审核人：李四", "填报日期：2025年1月10日"])
    path = tmp_path / "名录.xlsx"
    book.save(path)
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert (report.rows_accepted, report.rows_rejected) == (2, 2)
    prefix = "名录.xlsx, line {}, column '统一社会信用代码' (field 'uscc'): "
    assert report.messages == [
        prefix.format(5) + f"'{long_note[:NOTE_SHOWN]}…{NOTE}",
        prefix.format(6) + f"'填表人：张三{NOTE}",
    ]


@pytest.mark.parametrize("name", ["注册资本咨询有限公司", "说明书印刷厂", "备注"])
def test_a_name_that_begins_like_a_note_without_a_colon_is_no_note(
    tmp_path: Path, name: str
) -> None:
    path = _csv(tmp_path, ["统一社会信用代码", "企业名称"], [["", name]])
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert report.messages[-1].endswith("(field 'uscc'): a value is required"), report.messages


def test_a_note_row_gives_one_reason_whatever_its_other_cells_hold(tmp_path: Path) -> None:
    """A yearly sheet's notes: the year left empty and a signature under a figure were
    refused beside the note, as if they were an enterprise's figures gone wrong."""
    head = ["统一社会信用代码", "年度", "营业收入(元)"]
    rows = [
        [PUDONG, "2025", "1000"],
        ["注：金额单位为元", "", ""],
        ["填表人：张三", "", "审核人：李四"],
    ]
    report = import_file(Settings(tmp_path / "data"), _csv(tmp_path, head, rows), mapping="tax")
    assert (report.rows_accepted, report.rows_rejected) == (1, 2)
    prefix = "registry.csv, line {}, column '统一社会信用代码' (field 'uscc'): "
    assert report.messages == [
        prefix.format(3) + f"'注：金额单位为元{NOTE}",
        prefix.format(4) + f"'填表人：张三{NOTE}",
    ]
