"""A registry sheet's total row with the word (合计/总计/小计) in the name column and an
empty USCC is refused as a total row, not as "a value is required": it is still not
imported and still counted among the rejects. Before, a data steward was told a USCC
was missing. (The word in the USCC column itself: tests/profiles/test_import_outside_files.)"""

from __future__ import annotations

import csv
from pathlib import Path

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


@pytest.mark.parametrize(
    ("total", "column"),
    [(["合计", "", "", "=SUM(D2:D3)"], "序号"), (["", "", "合计", "=SUM(D2:D3)"], "企业名称")],
)
def test_a_total_row_of_sums_a_program_wrote_is_refused_as_a_total_row(
    tmp_path: Path, total: list[str], column: str
) -> None:
    """Regression: a sheet's total row written by openpyxl (合计 and =SUM(...) with no
    stored result) was refused as "cell D4 holds a formula whose result the file does
    not keep ... open the workbook in Excel and save it", as if it held an enterprise's
    data; saved in Excel, it is a total row all the same."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "统一社会信用代码", "企业名称", "注册资本(元)"])
    ws.append([1, PUDONG, "好公司", 100])
    ws.append([2, uscc.make("91310104MA1K00234"), "另一公司", "=1+1"])
    ws.append(total)
    path = tmp_path / "market.xlsx"
    wb.save(path)
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    assert report.messages[0].startswith(
        "market.xlsx, line 3: cell D3 (column '注册资本(元)', field 'registered_capital') holds"
        " a formula"
    )
    assert report.messages[1] == (
        "market.xlsx, line 4, column '统一社会信用代码' (field 'uscc'): '合计' in column"
        f" '{column}' with no USCC starts a total row, not an enterprise's: delete the row"
        " (totals are not imported; the other rows are)"
    )
