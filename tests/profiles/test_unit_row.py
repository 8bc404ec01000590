"""A row of units under the header (营业收入 over 万元), as offices' sheets carry: the
row is skipped with the header, and a money column the mapping would read in another
unit refuses the file. It was read as a data row (rejected) while the amounts under it
were stored in yuan: 100.5 万元 as 100.5 yuan, 10,000 times too small."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.mappingdraft import draft_from_rows
from huiqi.profiles.readers import open_source
from huiqi.profiles.unit_row import is_unit_row

A, B = uscc.make("91310115MA0000011"), uscc.make("91310104MA0000022")
HEADER = ["统一社会信用代码", "年度", "营业收入", "从业人员", "纳税总额"]
UNITS = [None, None, "（万元）", "人", "万元"]
ROWS = [[A, 2023, "100.5", "12", "1,000.25"], [B, 2023, "0.01", "3", "2"]]


def office_mapping(data: Path, units: str = "") -> None:
    (data / "mappings").mkdir(parents=True)
    (data / "mappings" / "district.yaml").write_text(
        "name: district\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        f"  年度: year\n  营业收入: revenue\n  纳税总额: tax_paid\nignore: [从业人员]\n{units}",
        encoding="utf-8",
    )


def workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    for row in [HEADER, UNITS, *ROWS]:
        wb.active.append(row)
    wb.save(path)
    return path


def stored(settings: Settings, snapshot: int) -> dict[str, tuple[Decimal, Decimal]]:
    files = str(settings.snapshots_dir / str(snapshot) / "enterprise_years*.parquet")
    rows = duckdb.sql(f"SELECT uscc, revenue, tax_paid FROM '{files}'").fetchall()
    return {u: (r, t) for u, r, t in rows}


def test_a_unit_row_the_mapping_would_misread_refuses_the_file(tmp_path: Path) -> None:
    path = workbook(tmp_path / "tax.xlsx")
    settings = Settings(tmp_path / "data")
    office_mapping(settings.data_dir)
    with pytest.raises(
        ImportFileError,
        match=r"tax\.xlsx, line 2: the row under the header gives '营业收入' in 万元 \(wan_yuan\),"
        r" but mapping 'district' reads '营业收入' in 元 \(yuan\); nothing was imported",
    ):
        import_file(settings, path)
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_unit_row_is_skipped_and_its_units_drafted_and_read(tmp_path: Path, kind: str) -> None:
    if kind == "xlsx":
        path = workbook(tmp_path / "district.xlsx")
    else:
        path = tmp_path / "district.csv"
        with path.open("w", encoding="gbk", newline="") as fh:
            csv.writer(fh).writerows([HEADER, [u or "" for u in UNITS], *ROWS])
    line, draft = draft_from_rows(open_source(path).header_rows(), name="district")
    assert line == 1 and draft.units == {"revenue": "wan_yuan", "tax_paid": "wan_yuan"}
    settings = Settings(tmp_path / "data")
    office_mapping(settings.data_dir, "units: {revenue: wan_yuan, tax_paid: wan_yuan}\n")
    report = import_file(settings, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 2, 0)
    assert report.unit_line == 2 and "Line 2 under the header gives" in report.summary()
    assert stored(settings, report.snapshot_id) == {
        A: (Decimal("1005000.00"), Decimal("10002500.00")),
        B: (Decimal("100.00"), Decimal("20000.00")),
    }


def test_only_a_row_of_unit_words_with_money_is_a_unit_row() -> None:
    assert is_unit_row(["", "", "万元", "人", "（元）", "%"])
    assert is_unit_row(["单位：万元"])
    assert not is_unit_row(["", "", "人", "%"])  # no money: nothing to misread
    assert not is_unit_row([A, "2023", "万元"])  # a data row
    assert not is_unit_row(["", "", ""])


@pytest.mark.parametrize("label", ["单位", "单位：", "单位:", "（单位）", "计量单位", "金额单位："])
def test_a_unit_row_labelled_in_its_uscc_cell_is_still_a_unit_row(
    tmp_path: Path, label: str
) -> None:
    """Regression (QA): a unit row whose first cell says 单位 (as many sheets label it) was
    read as data, rejected as "'单位' has 2 characters; a USCC has exactly 18", while the
    amounts under its 万元 were stored as yuan, 10,000 times too small (the draft too read
    them in yuan). It is a unit row: drafted as 万元, skipped, or refusing a yuan mapping."""
    path = tmp_path / "district.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, [label, "", "万元", "人", "万元"], *ROWS])
    assert is_unit_row([label, "", "万元", "人", "万元"])
    line, draft = draft_from_rows(open_source(path).header_rows(), name="district")
    assert line == 1 and draft.units == {"revenue": "wan_yuan", "tax_paid": "wan_yuan"}
    settings = Settings(tmp_path / "data")
    office_mapping(settings.data_dir)
    with pytest.raises(ImportFileError, match=r"line 2: the row under the header gives '营业收入'"):
        import_file(settings, path)


@given(
    cells=st.lists(
        st.sampled_from(
            ["", "单位", "单位：", "万元", "（万元）", "元", "人", "%", "吨", "2023", "甲"]
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_unit_row_is_unit_words_around_labels_with_one_money_unit(cells: list[str]) -> None:
    """Property: a row is a unit row exactly when, leaving out empty cells and a bare 单位
    label, it has some cell, every one a unit word, one of them money."""
    words = [c for c in cells if c not in ("", "单位", "单位：")]
    money = {"万元", "（万元）", "元"}
    expected = (
        bool(words)
        and all(w in money | {"人", "%", "吨"} for w in words)
        and any(w in money for w in words)
    )
    assert is_unit_row(cells) == expected
