"""A money column headed in another unit than the mapping's header of it is read in the
unit its header names (huiqi.profiles.unit_variants): a business registry file with
"注册资本（万元）" was refused by every built-in mapping ("headers ['注册资本（万元）'] are
not in mapping 'market'"), and a statistics office's "营业收入(万元)" needed a mapping of
its own, although the header says what the amounts are."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.import_report import once_named, unit_named
from huiqi.profiles.importer import import_file
from huiqi.profiles.mapping import normalise_header
from huiqi.profiles.mapping_finder import get_mapping
from huiqi.profiles.unit_variants import with_header_units

A = uscc.make("91310115MA0000011")
B = uscc.make("91310115MA0000012")


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def stored(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_market_file_with_its_capital_in_wan_yuan_imports_in_yuan(tmp_path: Path) -> None:
    path = write(
        tmp_path / "market.csv",
        [
            ["统一社会信用代码", "企业名称", "注册资本（万元）", "成立日期"],
            [A, "甲公司", "100.5", "2020-01-01"],
            [B, "乙公司", "0.01", "2021-06-30"],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "market" and report.rows_accepted == 2, report.summary()
    assert report.units_from_headers == ["注册资本（万元）"]
    # Regression: the unit was said twice, "注册资本（万元） (万元)".
    assert "Amounts read in the unit their header names: 注册资本（万元）." in report.summary()
    got = stored(settings, "SELECT uscc, registered_capital FROM enterprises ORDER BY uscc")
    assert got == [(A, Decimal("1005000.00")), (B, Decimal("100.00"))]


def test_a_tax_file_in_wan_and_yi_yuan_with_the_mapping_named(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码", "年度", "营业收入/万元", "资产总额(亿元)", "纳税总额(元)"],
            [A, "2024", "1,234.5", "0.5", "99.99"],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path, mapping="tax")
    assert report.rows_accepted == 1, report.summary()
    got = stored(
        settings, "SELECT revenue, total_assets, tax_paid FROM enterprise_years WHERE year = 2024"
    )
    assert got == [(Decimal("12345000.00"), Decimal("50000000.00"), Decimal("99.99"))]
    assert sorted(report.units_from_headers) == ["营业收入/万元", "资产总额(亿元)"]


@pytest.mark.parametrize(
    ("header", "word", "shown"),
    [
        ("注册资本（万元）", "万元", "注册资本（万元）"),
        ("资产总额(单位:万元)", "万元", "资产总额(单位:万元)"),
        ("营业收入（万 元）", "万元", "营业收入（万 元）"),
        ("营业收入", "万元", "营业收入 (万元)"),
    ],
)
def test_a_unit_its_header_shows_is_not_said_again(header: str, word: str, shown: str) -> None:
    assert unit_named(header, word) == shown


def test_a_report_that_said_the_unit_twice_reads_it_once() -> None:
    """Reports written before the fix hold "注册资本（万元） (万元)"; pages show it once."""
    assert once_named("注册资本（万元） (万元)") == "注册资本（万元）"
    assert once_named("营业收入 (万元)") == "营业收入 (万元)"
    assert once_named("营业收入（万元）") == "营业收入（万元）"


def test_a_unit_huiqi_reads_no_amount_in_is_still_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tax.csv", [["统一社会信用代码", "年度", "营业收入（千元）"], [A, "2024", "1"]]
    )
    with pytest.raises(ImportFileError, match="营业收入（千元）"):
        import_file(Settings(tmp_path / "data"), path, mapping="tax")


def test_the_column_under_both_units_is_refused_not_read_twice(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tax.csv",
        [["统一社会信用代码", "年度", "营业收入(元)", "营业收入(万元)"], [A, "2024", "1", "2"]],
    )
    with pytest.raises(ImportFileError, match=r"营业收入\(万元\)"):
        import_file(Settings(tmp_path / "data"), path, mapping="tax")


UNITS = {"元": "yuan", "万元": "wan_yuan", "亿元": "yi_yuan"}


@given(
    word=st.sampled_from(sorted(UNITS)),
    left=st.sampled_from(["(", "（", "[", "【"]),
    spaces=st.text(" \u3000", max_size=2),
    field=st.sampled_from(
        [
            ("营业收入(元)", "revenue"),
            ("研发费用(元)", "rd_expense"),
            ("出口额(元)", "export_revenue"),
        ]
    ),
)
def test_any_bracket_and_spacing_of_a_unit_reads_the_same_field(
    word: str, left: str, spaces: str, field: tuple[str, str]
) -> None:
    right = {"(": ")", "（": "）", "[": "]", "【": "】"}[left]
    name = field[0].removesuffix("(元)")
    header = f"{spaces}{name}{left}{word}{right}"
    tax = get_mapping("tax")
    fitted = with_header_units(tax, ["统一社会信用代码", "年度", header])
    if normalise_header(header) in tax.headers:  # the mapping's own header: nothing to adapt
        assert fitted is tax
        return
    assert fitted.headers[normalise_header(header)] == field[1]
    assert fitted.units[field[1]] == UNITS[word]
    assert fitted.header_units == {header: word}
    assert tax.units.get(field[1], "yuan") == "yuan"  # the mapping itself is unchanged
