"""Money headers that name no unit, under a unit the sheet declares: a tax office's sheet
with "单位：万元" above 营业收入 and 研发费用 was refused ("no mapping matches the headers
['统一社会信用代码', '年度', '营业收入', '研发费用']"), although the README promises that
the first row a mapping fits is the header and that the declared unit holds for every
money column: the built-in tax mapping heads them 营业收入(元), and a header's unit variants
(``unit_variants``) were only made for headers that name a unit. The unit the sheet
declares for a column (``column_units``: a line above the header, a group title over
it, a row of units under it) now fits it, read in that unit; a header with no unit
anywhere is refused, saying so, rather than guessed as 元 or 万元."""

from __future__ import annotations

import csv
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.column_units import Declared, column_units
from huiqi.profiles.importer import import_file

HEADER = ["统一社会信用代码", "年度", "营业收入", "研发费用"]
A, B = uscc.make("91310115MA1K3YJ1X"), uscc.make("91310104MA1FR4XW5")


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def stored(settings: Settings, snapshot: int | None) -> dict[str, tuple[Decimal, Decimal]]:
    files = str(settings.snapshots_dir / str(snapshot) / "enterprise_years*.parquet")
    rows = duckdb.sql(f"SELECT uscc, revenue, rd_expense FROM '{files}'").fetchall()
    return {u: (r, d) for u, r, d in rows}


def nothing_stored(settings: Settings) -> bool:
    return not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())


@pytest.mark.parametrize(
    ("line", "word", "times"), [("单位：元", "元", 1), ("金额单位：万元", "万元", 10_000)]
)
def test_a_unit_line_above_unit_less_headers_imports_with_the_tax_mapping(
    tmp_path: Path, line: str, word: str, times: int
) -> None:
    path = write(
        tmp_path / "tax.csv",
        [[line], HEADER, [A, "2024", "1,234.56", "100"], [B, "2024", "0.01", "20.5"]],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "tax" and report.header_line == 2, report.summary()
    assert report.rows_accepted == 2, report.summary()
    assert stored(settings, report.snapshot_id) == {
        A: (Decimal("1234.56") * times, Decimal(100 * times)),
        B: (Decimal("0.01") * times, Decimal("20.5") * times),
    }
    assert report.units_declared == [f"营业收入 ({word}, line 1)", f"研发费用 ({word}, line 1)"]
    assert (
        "Amounts read in the unit the sheet declares for them (their header names none):"
        f" 营业收入 ({word}, line 1), 研发费用 ({word}, line 1)." in report.summary()
    )


def test_a_group_title_gives_the_unit_of_the_columns_under_it(tmp_path: Path) -> None:
    """A header over two rows: "财务数据（万元）" over 营业收入 and 研发费用, the USCC and
    year merged down across both rows."""
    path = write(
        tmp_path / "grouped.csv",
        [
            ["统一社会信用代码", "年度", "财务数据（万元）", ""],
            ["", "", "营业收入", "研发费用"],
            [A, "2024", "12.5", "0.000001"],
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "tax" and report.rows_accepted == 1, report.summary()
    assert stored(settings, report.snapshot_id) == {A: (Decimal("125000"), Decimal("0.01"))}
    assert report.units_declared == ["营业收入 (万元, line 1)", "研发费用 (万元, line 1)"]


def test_a_group_title_over_some_columns_leaves_the_others_unit_less(tmp_path: Path) -> None:
    """The title's unit holds for its columns only: 纳税总额 beside them names none, and
    the file is refused naming it, not read in 元."""
    path = write(
        tmp_path / "grouped.csv",
        [
            ["企业信息", "", "财务数据（万元）", "", "其他"],
            [*HEADER, "纳税总额"],
            [A, "2024", "1", "1", "2"],
        ],
    )
    settings = Settings(tmp_path / "data")
    with pytest.raises(ImportFileError) as refused:
        import_file(settings, path)
    message = refused.value.message
    assert "are those of mapping 'tax' but for their units" in message
    assert "the money column ['纳税总额'] names no unit" in message
    assert "营业收入'" not in message.split("names no unit")[0].split("money column")[1]
    assert nothing_stored(settings)


def test_a_row_of_units_under_the_header_gives_each_column_its_own(tmp_path: Path) -> None:
    path = write(
        tmp_path / "units.csv", [HEADER, ["", "", "万元", "元"], [A, "2024", "1.5", "99.99"]]
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "tax" and report.unit_line == 2, report.summary()
    assert stored(settings, report.snapshot_id) == {A: (Decimal("15000"), Decimal("99.99"))}
    assert report.units_declared == ["营业收入 (万元, line 2)", "研发费用 (元, line 2)"]


def test_a_header_with_no_unit_anywhere_is_refused_saying_so(tmp_path: Path) -> None:
    """元 and 万元 are 10,000 times apart: the error said only "no mapping matches"; it
    names the mapping, the columns that name no unit and what to write."""
    path = write(tmp_path / "tax.csv", [HEADER, [A, "2024", "12.5", "100"]])
    settings = Settings(tmp_path / "data")
    for named in (None, "tax"):
        with pytest.raises(ImportFileError) as refused:
            import_file(settings, path, mapping=named)
        message = refused.value.message
        assert message.startswith(
            f"{path}: the headers ['统一社会信用代码', '年度', '营业收入', '研发费用'] are those"
            " of mapping 'tax' but for their units: the money columns ['营业收入', '研发费用']"
            " name no unit, and none is declared above or under the header; huiqi does not"
            " guess between 元 and 万元 (10,000 times apart), so nothing was imported."
        ), message
        assert "'营业收入(元)' or '营业收入(万元)'" in message
        assert "put a line such as '单位：元' or '单位：万元' above the header" in message
    assert nothing_stored(settings)


def test_a_declared_unit_huiqi_reads_no_amount_in_is_refused_naming_its_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "tax.csv", [["单位：千元"], HEADER, [A, "2024", "1", "1"]])
    settings = Settings(tmp_path / "data")
    with pytest.raises(ImportFileError) as refused:
        import_file(settings, path)
    assert refused.value.message.startswith(
        f"{path}, line 1: the sheet declares its amounts in 千元, which huiqi does not read"
        " amounts in; nothing was imported"
    )
    assert nothing_stored(settings)


def test_a_header_naming_another_unit_than_the_declared_one_still_refuses(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tax.csv",
        [
            ["单位：万元"],
            ["统一社会信用代码", "年度", "营业收入(元)", "研发费用"],
            [A, "2024", "1", "1"],
        ],
    )
    settings = Settings(tmp_path / "data")
    with pytest.raises(ImportFileError, match=r"the header '营业收入\(元\)' says 元 \(yuan\)"):
        import_file(settings, path)
    assert nothing_stored(settings)


def test_a_workbook_with_a_unit_line_above_unit_less_headers_imports(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "纳税情况"
    for row in (
        ["2024年度企业纳税情况表"],
        [None, None, "单位：万元"],
        HEADER,
        [A, 2024, 34.86, 1],
    ):
        ws.append(row)
    wb.create_sheet("说明").append(["本表由区税务局填报"])
    path = tmp_path / "tax.xlsx"
    wb.save(path)
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.mapping, report.sheet, report.header_line) == ("tax", "纳税情况", 3)
    assert stored(settings, report.snapshot_id) == {A: (Decimal("348600"), Decimal("10000"))}


def test_an_office_mapping_with_the_header_as_written_is_chosen_over_a_declared_variant(
    tmp_path: Path,
) -> None:
    """An office's own mapping that has 营业收入 (no unit) with its units is the one the
    file was meant for: the built-in tax read under the declared unit does not make the
    file ambiguous."""
    office = tmp_path / "data" / "mappings"
    office.mkdir(parents=True)
    (office / "district.yaml").write_text(
        "name: district\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        "  年度: year\n  营业收入: revenue\n  研发费用: rd_expense\n  纳税总额: tax_paid\n"
        "units: {revenue: wan_yuan, rd_expense: wan_yuan, tax_paid: wan_yuan}\n",
        encoding="utf-8",
    )
    path = write(tmp_path / "tax.csv", [["单位：万元"], HEADER, [A, "2024", "2", "1"]])
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "district" and report.units_declared == []
    assert stored(settings, report.snapshot_id) == {A: (Decimal("20000"), Decimal("10000"))}


def test_column_units_prefer_the_row_under_then_the_group_then_the_sheet() -> None:
    rows = [
        (1, ["单位：元"]),
        (2, ["", "财务数据（亿元）", ""]),
        (3, ["统一社会信用代码", "营业收入", "研发费用", "纳税总额"]),
        (4, ["", "", "万元", ""]),
    ]
    assert column_units(rows, 2, 4) == {
        0: Declared("yuan", 1),
        1: Declared("yi_yuan", 2),
        2: Declared("wan_yuan", 4),
        3: Declared("yi_yuan", 2),  # the group title covers the columns up to the row's end
    }
    assert column_units(rows[2:], 0, 4) == {2: Declared("wan_yuan", 4)}
    assert column_units([(1, ["标题"]), (2, ["营业收入"])], 1, 1) == {}


AMOUNTS = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False)


@settings(max_examples=15, deadline=None)
@given(amounts=st.lists(AMOUNTS, min_size=1, max_size=8))
def test_any_amount_under_wan_yuan_is_stored_exactly_ten_thousand_times(
    amounts: list[Decimal],
) -> None:
    """Whatever the amount (up to six decimals: two of yuan's, four of 万元's), it is
    stored as amount × 10,000 yuan exactly, never rounded through a float."""
    codes = [uscc.make(f"91310115MA{i:07d}") for i in range(len(amounts))]
    with tempfile.TemporaryDirectory() as scratch:
        path = write(
            Path(scratch) / "tax.csv",
            [
                ["单位：万元"],
                HEADER,
                *([c, "2024", f"{a:f}", "0"] for c, a in zip(codes, amounts, strict=True)),
            ],
        )
        data = Settings(Path(scratch) / "data")
        report = import_file(data, path)
        assert report.rows_accepted == len(amounts), report.summary()
        got = stored(data, report.snapshot_id)
    assert {c: got[c][0] for c in codes} == {
        c: a * 10_000 for c, a in zip(codes, amounts, strict=True)
    }
