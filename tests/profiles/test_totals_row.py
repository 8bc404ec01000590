"""A registry sheet's total row with the word (合计/总计/小计) in the name column and an
empty USCC is refused as a total row, not as "a value is required": it is still not
imported and still counted among the rejects. Before, a data steward was told a USCC
was missing. (The word in the USCC column itself: tests/profiles/test_import_outside_files.)"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

PUDONG = uscc.make("91310115MA1H8R7C4")
HEAD = ["统一社会信用代码", "企业名称", "注册资本(元)"]
PREFIX = "market.csv, line {line}, column '统一社会信用代码' (field 'uscc'): "
TOTAL = (
    "' in column '企业名称' with no USCC starts a total row, not an enterprise's: delete the"
    " row (totals are not imported; the other rows are)"
)


def _import(folder: Path, rows: list[list[str]]):  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "market.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEAD, *rows])
    return import_file(Settings(folder / "data"), path, mapping="market")


@pytest.mark.parametrize("word", ["合计", "总计", "小 计：", "Total"])
def test_a_total_row_named_in_the_name_column_is_refused_as_a_total_row(
    tmp_path: Path, word: str
) -> None:
    report = _import(tmp_path, [[PUDONG, "好公司", "100"], ["", word, "100"]])
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    assert report.messages == [PREFIX.format(line=3) + f"'{word}{TOTAL}"]


def test_an_empty_uscc_beside_an_ordinary_name_is_still_a_missing_value(tmp_path: Path) -> None:
    report = _import(tmp_path, [["", "上海好公司", "100"], ["", "合计咨询有限公司", "1"]])
    assert report.messages == [
        PREFIX.format(line=2) + "a value is required",
        PREFIX.format(line=3) + "a value is required",
    ]


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    word=st.sampled_from(["合计", "总计", "小计", "共计", "总合计", "TOTAL", "sum"]),
    colon=st.sampled_from(["", ":", "："]),
    other=st.text(alphabet="上海科技有限公司甲乙", min_size=1, max_size=8),
)
def test_only_a_total_word_makes_a_total_row(
    tmp_path: Path, word: str, colon: str, other: str
) -> None:
    """A name cell holding only a total word (and a colon) is a total row; any other name
    without a USCC is a missing value."""
    folder = tmp_path / f"{abs(hash((word, colon, other)))}"
    report = _import(folder, [["", word + colon, "1"], ["", other, "1"]])
    assert report.rows_rejected == 2 and report.rows_accepted == 0
    assert report.messages == [
        PREFIX.format(line=2) + f"'{word}{colon}{TOTAL}",
        PREFIX.format(line=3) + "a value is required",
    ]


# The word in a column the mapping does not import (序号, or a first column with no
# header), the enterprise's cells empty and only the totals filled: before, the row was
# refused as "a value is required" for the USCC.
SERIAL_HEAD = ["序号", *HEAD]
BARE_HEAD = ["", *HEAD]


def _write(path: Path, head: list[str], rows: list[list[object]]) -> Path:
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        for row in [head, *rows]:
            ws.append(row)
        wb.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([head, *rows])
    return path


def _rejects(report) -> list[list[str]]:  # type: ignore[no-untyped-def]
    with report.rejects_path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


@pytest.mark.parametrize(("suffix", "fast"), [(".csv", True), (".csv", False), (".xlsx", True)])
@pytest.mark.parametrize(
    ("head", "column"), [(SERIAL_HEAD, "column '序号'"), (BARE_HEAD, "column 1 (no header)")]
)
def test_a_total_word_in_a_column_not_imported_makes_a_total_row(
    tmp_path: Path, suffix: str, fast: bool, head: list[str], column: str
) -> None:
    path = _write(
        tmp_path / f"market{suffix}",
        head,
        [["1", PUDONG, "好公司", "100"], ["2", "", "", "50"], [" 合计 ", "", "", "150"]],
    )
    report = import_file(Settings(tmp_path / "data"), path, mapping="market", fast=fast)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    assert report.reader == ("duckdb" if fast and suffix == ".csv" else "recovering")
    where = f"market{suffix}, line {{line}}, column '统一社会信用代码' (field 'uscc'): "
    total = TOTAL.replace("in column '企业名称'", f"in {column}")
    assert report.messages == [
        where.format(line=3) + "a value is required",
        where.format(line=4) + f"'合计{total}",
    ]
    assert [r[1:6] for r in _rejects(report)] == [
        ["3", "统一社会信用代码", "uscc", "", "a value is required"],
        ["4", "统一社会信用代码", "uscc", "", f"'合计{total}"],
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_total_word_beside_a_uscc_or_a_name_is_no_total_row(tmp_path: Path, suffix: str) -> None:
    """A row with a USCC is an enterprise's wherever 合计 stands; a row naming an
    enterprise without a USCC misses its code."""
    path = _write(
        tmp_path / f"market{suffix}",
        SERIAL_HEAD,
        [["合计", PUDONG, "好公司", "100"], ["总计", "", "上海好公司", "100"]],
    )
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    where = f"market{suffix}, line 3, column '统一社会信用代码' (field 'uscc'): "
    assert report.messages == [where + "a value is required"]
