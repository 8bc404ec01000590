"""A wide yearly sheet (``huiqi.profiles.wide``): found on any sheet of a workbook, a
column with no year refused, and every line accounted for in the report."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

A = uscc.make("91310115MA0000011")
B = uscc.make("91310115MA0000022")
C = uscc.make("91310115MA0000033")
HEADER = ["统一社会信用代码", "企业名称", "2023年营业收入(元)", "2024年营业收入(元)"]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def revenue(settings: Settings, snapshot: int | None) -> list[tuple]:
    files = str(settings.snapshots_dir / str(snapshot) / "enterprise_years*.parquet")
    return duckdb.sql(f"SELECT uscc, year, revenue FROM '{files}' ORDER BY uscc, year").fetchall()


def workbook(path: Path, sheets: list[tuple[str, list[list[object]]]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


COVER = ("说明", [["本表为各企业2023-2024年营业收入"], ["填表人", "张三"]])
WIDE = ("营收", [HEADER, [A, "甲", 100, 200], [B, "乙", 7, None]])


def test_a_wide_sheet_after_a_cover_sheet_is_found(tmp_path: Path) -> None:
    """Regression: only a workbook's first sheet was tried as a wide sheet, so a cover
    sheet before it refused the workbook ("no sheet has a header that fits")."""
    path = workbook(tmp_path / "wide.xlsx", [COVER, WIDE])
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.sheet, report.mapping, report.wide_years) == ("营收", "tax", [2023, 2024])
    assert revenue(settings, report.snapshot_id) == [
        (A, 2023, Decimal("100.00")),
        (A, 2024, Decimal("200.00")),
        (B, 2023, Decimal("7.00")),
    ]


def test_a_wide_sheet_named_with_sheet_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "wide.xlsx", [COVER, WIDE])
    report = import_file(Settings(tmp_path / "data"), path, sheet="营收")
    assert (report.sheet, report.rows_accepted, report.wide_years) == ("营收", 3, [2023, 2024])


def test_a_wide_sheet_and_a_long_one_both_fit_and_one_is_chosen(tmp_path: Path) -> None:
    long = ("长表", [["统一社会信用代码", "年度", "营业收入(元)"], [C, "2024", "5"]])
    path = workbook(tmp_path / "wide.xlsx", [long, WIDE])
    with pytest.raises(ImportFileError, match=r"sheets \['长表', '营收'\] all fit; choose one"):
        import_file(Settings(tmp_path / "data"), path)
    report = import_file(Settings(tmp_path / "data"), path, sheet="长表")
    assert (report.rows_accepted, report.wide_years) == (1, [])


@pytest.mark.parametrize(
    ("header", "named", "example"),
    [
        (
            [*HEADER, "纳税信用等级"],
            "wide.csv: the column(s) '纳税信用等级' (tax_credit_rating) of a wide sheet (a"
            " column group per year: 2023, 2024) name no year",
            "'2024年纳税信用等级'",
        ),
        (
            ["统一社会信用代码", "纳税信用等级", "资产总额(元)", "2023年营业收入(元)"],
            "the column(s) '纳税信用等级' (tax_credit_rating), '资产总额(元)' (total_assets)"
            " of a wide sheet (a column group per year: 2023) name no year",
            "'2023年纳税信用等级'",
        ),
    ],
)
def test_a_column_without_a_year_is_refused_naming_it(
    tmp_path: Path, header: list[str], named: str, example: str
) -> None:
    """Regression: a column with no year in a wide sheet ("纳税信用等级" beside 2023's and
    2024's revenue) was copied into every year's row, one rating standing for every year."""
    path = write(tmp_path / "wide.csv", [header, [A, "B", "1", "2", "3"][: len(header)]])
    settings = Settings(tmp_path / "data")
    with pytest.raises(ImportFileError) as refused:
        import_file(settings, path)
    message = refused.value.message
    assert named in message, message
    assert "nothing was imported" in message
    assert f"Put the year in the header ({example})" in message
    assert "import it as a long file with a year column (年度)" in message


def test_the_year_less_column_may_be_named_with_its_year(tmp_path: Path) -> None:
    header = [*HEADER, "2024年纳税信用等级"]
    path = write(tmp_path / "wide.csv", [header, [A, "甲", "1", "2", "B"]])
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    files = str(settings.snapshots_dir / str(report.snapshot_id) / "enterprise_years*.parquet")
    rows = duckdb.sql(f"SELECT year, tax_credit_rating FROM '{files}' ORDER BY year").fetchall()
    assert rows == [(2023, None), (2024, "B")]


def test_an_enterprise_empty_in_every_year_is_counted_and_named(tmp_path: Path) -> None:
    """Regression: a line with no value in any year gave no row and no word in the report."""
    path = write(
        tmp_path / "wide.csv",
        [HEADER, [A, "甲", "1", ""], [B, "乙", "", " "], [C, "丙", "", ""], [A[:5], "", "", ""]],
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.wide_lines, report.rows_read, report.rows_accepted) == (4, 1, 1)
    assert (report.wide_empty_lines, report.wide_empty_first) == (3, [3, 4, 5])
    assert (
        "3 line(s) have no value in any year's column and give no row (lines 3, 4, 5):"
        " nothing of theirs was imported." in report.summary()
    )


def test_the_report_names_the_first_empty_lines_only(tmp_path: Path) -> None:
    rows = [[uscc.make(f"9131011500000{i:04d}"), "", "", ""] for i in range(12)]
    path = write(tmp_path / "wide.csv", [HEADER, [A, "甲", "1", "2"], *rows])
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.wide_empty_lines, report.wide_empty_first) == (12, list(range(3, 13)))
    assert "(lines 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ...)" in report.summary()


def test_a_wide_sheet_without_empty_lines_says_nothing_of_them(tmp_path: Path) -> None:
    path = write(tmp_path / "wide.csv", [HEADER, [A, "甲", "1", "2"]])
    report = import_file(Settings(tmp_path / "data"), path)
    assert report.wide_empty_lines == 0 and "no value in any year" not in report.summary()
