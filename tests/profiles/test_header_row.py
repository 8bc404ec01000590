"""A header below a title: offices' sheets and CSV exports open with a title and a
"单位：元" line above the header. The importer finds the header in the first rows,
skips what is above it (and says so), and refuses a declared unit the mapping would
misread."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.declared_unit import declared_unit
from huiqi.profiles.importer import import_file
from huiqi.profiles.mappingdraft import draft_from_rows
from huiqi.profiles.readers import HEADER_ROWS, open_source

HEADER = ["统一社会信用代码", "年度", "营业收入(元)", "纳税总额(元)"]
A, B = uscc.make("91310115MA0000011"), uscc.make("91310104MA0000022")


def workbook(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def stored(settings: Settings, snapshot: int) -> dict[str, tuple[Decimal, Decimal]]:
    files = str(settings.snapshots_dir / str(snapshot) / "enterprise_years*.parquet")
    rows = duckdb.sql(f"SELECT uscc, revenue, tax_paid FROM '{files}'").fetchall()
    return {u: (r, t) for u, r, t in rows}


def test_a_sheet_with_a_title_and_a_unit_line_imports_from_its_header(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "tax.xlsx",
        [
            ["2023年度企业纳税情况表"],
            ["填报单位：某区税务局", None, "单位：元"],
            HEADER,
            [A, 2023, "348597.21", "12557.34"],
            [B, 2023, "295,351.16", "1.2e4"],  # sheet row 5: an exponent, rejected
            ["合计", None, "643948.37", "24291.24"],  # sheet row 6: the total line
        ],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "tax" and report.header_line == 3
    assert report.skipped_above == [
        "line 1: 2023年度企业纳税情况表",
        "line 2: 填报单位：某区税务局 | 单位：元",
    ]
    assert "The header is on line 3; skipped above it: line 1:" in report.summary()
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    assert {m.split(",")[1].strip() for m in report.messages} == {"line 5", "line 6"}
    assert stored(settings, report.snapshot_id) == {A: (Decimal("348597.21"), Decimal("12557.34"))}


def test_a_csv_with_title_lines_keeps_its_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "tax.csv"
    path.write_text(
        "2023年度纳税情况\n\n单位：元,,\n"
        + ",".join(HEADER)
        + f"\n{A},2023,100.50,1\n{B},2023,abc,2\n",
        encoding="utf-8",
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert report.header_line == 4 and report.reader == "recovering"
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages[0].startswith("tax.csv, line 6, column '营业收入(元)'")


def office_mapping(data: Path, units: str = "") -> None:
    (data / "mappings").mkdir(parents=True)
    (data / "mappings" / "district.yaml").write_text(
        "name: district\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        f"  年度: year\n  营业收入: revenue\n  纳税总额(元): tax_paid\n{units}",
        encoding="utf-8",
    )


def test_a_declared_unit_the_mapping_would_misread_refuses_the_file(tmp_path: Path) -> None:
    """Amounts declared in 万元 read by a mapping in yuan would be stored 10,000 times too
    small: the file is refused before anything is stored, naming the line."""
    path = workbook(
        tmp_path / "tax.xlsx",
        [
            ["纳税情况"],
            ["单位：万元"],
            ["统一社会信用代码", "年度", "营业收入"],
            [A, 2023, "34.86"],
        ],
    )
    settings = Settings(tmp_path / "data")
    office_mapping(settings.data_dir)
    with pytest.raises(
        ImportFileError,
        match=r"tax\.xlsx, line 2: the sheet declares its amounts in 万元 \(wan_yuan\), but"
        r" mapping 'district' reads '营业收入' in 元 \(yuan\)",
    ):
        import_file(settings, path)
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())


def test_a_declaration_that_contradicts_a_header_refuses_the_file(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "tax.xlsx", [["纳税情况"], ["单位：万元"], HEADER, [A, 2023, "34.86", "1"]]
    )
    with pytest.raises(ImportFileError, match=r"the header '营业收入\(元\)' says 元 \(yuan\)"):
        import_file(Settings(tmp_path / "data"), path)


def test_a_drafted_mapping_reads_the_declared_unit_exactly(tmp_path: Path) -> None:
    """``huiqi mapping new`` finds the header below the title and drafts the declared
    unit for the money columns that name none; the import then stores exact yuan."""
    path = workbook(
        tmp_path / "district.xlsx",
        [
            ["2023年度企业纳税情况表"],
            ["金额单位：万元"],
            ["统一社会信用代码", "年度", "营业收入", "纳税总额(万元)"],
            [A, 2023, "34.8597", "1.255734"],
        ],
    )
    line, draft = draft_from_rows(open_source(path).header_rows(), name="district")
    assert line == 3 and draft.unmatched == []
    assert draft.units == {"revenue": "wan_yuan", "tax_paid": "wan_yuan"}
    office = tmp_path / "data" / "mappings"
    office.mkdir(parents=True)
    (office / "district.yaml").write_text(draft.to_yaml(path.name), encoding="utf-8")
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "district" and report.header_line == 3
    assert stored(settings, report.snapshot_id) == {A: (Decimal("348597.00"), Decimal("12557.34"))}


def test_no_header_in_the_first_rows_keeps_the_first_rows_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    rows = [[f"说明第{i}行"] for i in range(HEADER_ROWS + 2)] + [HEADER, [A, "2023", "1", "1"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(ImportFileError, match=r"no mapping matches the headers \['说明第0行'\]"):
        import_file(Settings(tmp_path / "data"), path)


def test_a_header_below_a_title_that_fits_no_mapping_is_the_one_the_error_names(
    tmp_path: Path,
) -> None:
    """The error was the title's ("no mapping matches the headers ['2025年度纳税情况表']"),
    which hid the header below it and the one column that stopped it."""
    path = tmp_path / "tax.csv"
    rows = [
        ["2025年度纳税情况表", "", "", ""],
        ["单位：元", "", "", ""],
        ["统一社会信用代码", "年度", "营业收入(元)", "经办人"],
        [A, "2025", "1", "王"],
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(ImportFileError) as named:
        import_file(Settings(tmp_path / "data"), path, mapping="tax")
    message = named.value.message
    assert message.startswith(f"{path}, line 3: headers ['经办人'] are not in mapping 'tax'")
    assert f"'huiqi mapping new {path}' drafts it" in message
    assert "2025年度纳税情况表" not in message
    with pytest.raises(ImportFileError) as detected:
        import_file(Settings(tmp_path / "data"), path)
    message = detected.value.message
    assert message.startswith(f"{path}, line 3: no mapping matches the headers [")
    assert "the closest is 'tax' (3 of 4 headers): headers ['经办人'] are not in mapping" in message


def test_a_group_title_naming_a_unit_holds_for_the_columns_under_it(tmp_path: Path) -> None:
    """A two-row header: "财务数据（万元）" over merged cells, the field names below. The
    draft read the amounts as yuan and the import stored them 10,000 times too small,
    with no word of it; the unit of a group title now holds for its columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业信息", None, "收入（万元）", "资产（亿元）", "人员"])
    ws.merge_cells("A1:B1")
    ws.append(["统一社会信用代码", "年度", "营业收入", "资产总额", "从业人员"])
    ws.append([A, 2023, 123.45, 1.5, 30])
    path = tmp_path / "grouped.xlsx"
    wb.save(path)
    line, draft = draft_from_rows(open_source(path).header_rows(), name="grouped")
    assert line == 2 and draft.unmatched == []
    assert draft.units == {"revenue": "wan_yuan", "total_assets": "yi_yuan"}

    settings = Settings(tmp_path / "data")
    yuan = tmp_path / "yuan.yaml"
    yuan.write_text(
        "\n".join(
            line
            for line in draft.to_yaml().splitlines()
            if not line.startswith(("units:", "  revenue: ", "  total_assets: "))
        ),
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError) as refused:
        import_file(settings, path, mapping=str(yuan))
    assert refused.value.message.startswith(
        f"{path}, line 1: '收入（万元）' declares the amounts below it in 万元 (wan_yuan), but"
        " mapping 'grouped' reads '营业收入' in 元 (yuan); nothing was imported"
    )
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())

    good = tmp_path / "good.yaml"
    good.write_text(draft.to_yaml(), encoding="utf-8")
    report = import_file(settings, path, mapping=str(good))
    assert report.rows_accepted == 1
    files = str(settings.snapshots_dir / str(report.snapshot_id) / "enterprise_years*.parquet")
    assert duckdb.sql(f"SELECT revenue, total_assets, employees FROM '{files}'").fetchall() == [
        (Decimal("1234500.00"), Decimal("150000000.00"), 30)
    ]


def test_a_sheet_whose_table_starts_in_column_b_imports(tmp_path: Path) -> None:
    """Offices leave column A empty as a margin: the header's empty first cell fitted no
    mapping, and the error then named a data row (it had more filled cells) as the
    header. A column without a header is skipped, and the report says so."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"], ws["C2"], ws["D2"], ws["E2"] = HEADER
    ws["B3"], ws["C3"], ws["D3"], ws["E3"] = A, 2023, 100, 5
    wb.save(tmp_path / "margin.xlsx")
    settings = Settings(tmp_path / "data")
    report = import_file(settings, tmp_path / "margin.xlsx")
    assert (report.mapping, report.rows_accepted) == ("tax", 1)
    assert report.ignored_columns == ["column 1 (no header)"]
    assert stored(settings, report.snapshot_id) == {A: (Decimal("100.00"), Decimal("5.00"))}


def test_when_no_row_fits_the_error_names_the_header_not_a_wider_data_row(tmp_path: Path) -> None:
    path = tmp_path / "tax.csv"
    rows = [
        ["统一社会信用代码", "年度", "营业收入(元)", "经办人"],
        [A, "2023", "1", "王", "", "核实中", "x"],
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(ImportFileError) as refused:
        import_file(Settings(tmp_path / "data"), path, mapping="tax")
    assert refused.value.message.startswith(f"{path}: headers ['经办人'] are not in mapping")


def test_unit_declarations_are_read_in_full_and_half_width() -> None:
    assert declared_unit([(2, ["单位：万元"])]) == (2, "wan_yuan")
    assert declared_unit([(1, ["x"]), (2, ["", "金额单位: 亿元"])]) == (2, "yi_yuan")
    assert declared_unit([(1, ["计量单位：元"])]) == (1, "yuan")
    assert declared_unit([(1, ["万元户调查"]), (2, ["单位"])]) is None


TITLE = st.text(
    alphabet=st.characters(codec="utf-8", categories=("Lo", "Nd", "Zs", "Ll")),
    min_size=1,
    max_size=30,
).filter(lambda t: t.strip() and declared_unit([(1, [t])]) is None)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(titles=st.lists(TITLE, max_size=5), blanks=st.integers(0, 2))
def test_any_title_above_the_header_changes_only_the_line_numbers(
    tmp_path_factory: pytest.TempPathFactory, titles: list[str], blanks: int
) -> None:
    folder = tmp_path_factory.mktemp("titles")
    above = [[t] for t in titles] + [[""]] * blanks
    path = folder / "tax.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [*above, HEADER, [A, "2023", "10", "1"], [B, "2023", "-", "2"]]
        )
    report = import_file(Settings(folder / "data"), path)
    header = len(above) + 1
    assert report.header_line == (header if titles else None)
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages[0].startswith(f"tax.csv, line {header + 2},")


def test_padded_rows_below_a_title_are_read_as_the_header_pads_them(tmp_path: Path) -> None:
    """A CSV export with a title above the header and two empty columns at the end of
    every line: each padded row was refused as having 'more cells than the header', since
    the header found below the title was measured without its trailing empty cells."""
    path = tmp_path / "tax.csv"
    path.write_text(
        "2023年度企业纳税情况表;;;;;\n"
        + ";".join(HEADER)
        + ";;\n"
        + f'{A};2023;"1,000.50";12;;\n'
        + f'{B};2023;2000;"3";;\n',
        encoding="utf-8",
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.rows_read, report.rows_accepted, report.messages) == (2, 2, [])
    assert stored(settings, report.snapshot_id) == {
        A: (Decimal("1000.50"), Decimal("12.00")),
        B: (Decimal("2000.00"), Decimal("3.00")),
    }
