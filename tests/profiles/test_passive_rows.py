"""Rows with no USCC explained by a column the mapping does not import.

A total row with its word in 序号 (or in a yearly file's 纳税人名称, which a yearly
mapping cannot import), and a template's rows that hold only their row number, were
each refused with "a value is required" for the USCC and the year: a data steward went
looking for missing codes. (The word in the name column a mapping imports:
tests/profiles/test_totals_row.py.)"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

CODES = [uscc.make(f"91310115MA1H8R7C{d}") for d in "45"]
HEAD = ["序号", "统一社会信用代码", "纳税人名称", "年度", "年末参保人数", "备注"]
TOTAL = (
    "' in column '{column}' with no USCC starts a total row, not an enterprise's: delete the"
    " row (totals are not imported; the other rows are)"
)
ONLY = (
    "the row holds nothing to import: its cells are empty except in column {columns}, which"
    " is not imported; delete the row, or fill in its cells"
)
MAPPING = """name: district-insured
registry: social_insurance
layout: yearly
columns:
  统一社会信用代码: uscc
  年度: year
  年末参保人数: insured_employees
ignore: [纳税人名称]
"""


def _import(folder: Path, rows: list[list[str]], kind: str, fast: bool):  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    table = [HEAD, *rows]
    if kind == "xlsx":
        path = folder / "insured.xlsx"
        book = Workbook()
        for row in table:
            book.active.append([c or None for c in row])
        book.save(path)
    else:
        path = folder / "insured.csv"
        with path.open("w", encoding="gb18030" if kind == "gbk" else "utf-8", newline="") as fh:
            csv.writer(fh).writerows(table)
    mapping = folder / "district-insured.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return import_file(Settings(folder / "data"), path, mapping=str(mapping), fast=fast)


def _prefix(kind: str, line: int) -> str:
    name = "insured.xlsx" if kind == "xlsx" else "insured.csv"
    return f"{name}, line {line}, column '统一社会信用代码' (field 'uscc'): "


GOOD = [["1", CODES[0], "甲公司", "2024", "5", ""], ["2", CODES[1], "乙公司", "2024", "6", "新增"]]
KINDS = pytest.mark.parametrize(
    ("kind", "fast"), [("csv", True), ("csv", False), ("gbk", True), ("xlsx", True)]
)


@KINDS
@pytest.mark.parametrize("column", ["序号", "纳税人名称"])
def test_a_total_word_in_a_column_not_imported_makes_a_total_row(
    tmp_path: Path, kind: str, fast: bool, column: str
) -> None:
    total = ["", "", "", "", "11", ""]
    total[HEAD.index(column)] = "合计"
    report = _import(tmp_path, [*GOOD, total], kind, fast)

    assert report.reader == ("duckdb" if fast and kind != "xlsx" else "recovering")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 2, 1)
    assert report.messages == [_prefix(kind, 4) + "'合计" + TOTAL.format(column=column)]


@KINDS
def test_a_row_with_only_its_number_says_it_holds_nothing(
    tmp_path: Path, kind: str, fast: bool
) -> None:
    rows = [*GOOD, ["3", "", "", "", "", ""], ["4", "", "", "", "", "待补"]]
    report = _import(tmp_path, rows, kind, fast)

    assert (report.rows_accepted, report.rows_rejected) == (2, 2)
    assert report.messages == [
        _prefix(kind, 4) + ONLY.format(columns="'序号'"),
        _prefix(kind, 5) + ONLY.format(columns="'序号', '备注'"),
    ]


def test_a_row_with_figures_but_no_code_is_still_missing_its_code(tmp_path: Path) -> None:
    """Only the columns not imported explain a row: one with a count and a row number
    but no code is a row whose code is missing."""
    report = _import(tmp_path, [*GOOD, ["3", "", "丙公司", "2024", "7", ""]], "csv", True)

    assert report.messages == [_prefix("csv", 4) + "a value is required"]


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    word=st.sampled_from(["合计", "总 计", "小计：", "共计", "Total", "SUM"]),
    other=st.text(alphabet="上海科技有限公司甲乙12", min_size=1, max_size=6),
    fast=st.booleans(),
)
def test_only_a_whole_total_word_names_the_row(
    tmp_path_factory, word: str, other: str, fast: bool
) -> None:
    """'合计' alone is a total row; a name that merely contains it is an enterprise's
    whose code is missing."""
    folder = tmp_path_factory.mktemp("passive")
    rows = [*GOOD, ["", "", word, "2024", "1", ""], ["", "", other + word, "2024", "1", ""]]
    report = _import(folder, rows, "csv", fast)

    assert report.rows_accepted == 2
    assert report.messages == [
        _prefix("csv", 4) + f"'{word}" + TOTAL.format(column="纳税人名称"),
        _prefix("csv", 5) + "a value is required",
    ]
