"""A wide yearly sheet (one row per enterprise, a column group per year, the year in the
header) is read as the long file it stands for: one row per enterprise and year. It was
refused ("no mapping matches"), and 'huiqi mapping new' drafted a static layout."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.wide import split_year

A = uscc.make("91310115MA0000011")
B = uscc.make("91310115MA0000022")
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "2023年营业收入(元)",
    "2024年营业收入(元)",
    "2023年研发费用(元)",
    "2024年研发费用(元)",
]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def stored(settings: Settings, snapshot: int | None) -> list[tuple]:
    files = str(settings.snapshots_dir / str(snapshot) / "enterprise_years*.parquet")
    return duckdb.sql(
        f"SELECT uscc, year, revenue, rd_expense FROM '{files}' ORDER BY uscc, year"
    ).fetchall()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2023年营业收入(元)", (2023, "营业收入(元)")),
        ("营业收入(2023年)", (2023, "营业收入")),
        ("营业收入（2023年度）", (2023, "营业收入")),
        ("2023营业收入（万元）", (2023, "营业收入（万元）")),
        ("2023年度营业收入", (2023, "营业收入")),
        ("营业收入(元)", None),
        ("年度", None),
        ("20230101", None),
        ("1850年营业收入", None),
    ],
)
def test_the_year_is_found_before_the_header_or_in_brackets_after(
    header: str, expected: tuple[int, str] | None
) -> None:
    assert split_year(header) == expected


def test_a_wide_sheet_imports_with_the_tax_mapping_one_row_per_year(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv",
        [HEADER, [A, "甲公司", "100.25", "200", "3", "4.5"], [B, "乙公司", "7", "8", "", "9"]],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.mapping == "tax"
    # Every row count is of enterprise-years; the file's lines are counted apart.
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 4, 0)
    assert (report.wide_years, report.wide_lines) == ([2023, 2024], 2)
    assert "Read as a wide sheet with years [2023, 2024]: its 2 line(s)" in report.summary()
    assert stored(settings, report.snapshot_id) == [
        (A, 2023, Decimal("100.25"), Decimal("3.00")),
        (A, 2024, Decimal("200.00"), Decimal("4.50")),
        (B, 2023, Decimal("7.00"), None),
        (B, 2024, Decimal("8.00"), Decimal("9.00")),
    ]


def test_a_year_column_in_wan_yuan_is_read_in_wan_yuan(tmp_path: Path) -> None:
    header = ["统一社会信用代码", "2023营业收入（万元）", "2024营业收入（万元）"]
    path = write(tmp_path / "wide.csv", [header, [A, "1.5", "2.25"]])
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path, mapping="tax")
    assert [r[2] for r in stored(settings, report.snapshot_id)] == [
        Decimal("15000.00"),
        Decimal("22500.00"),
    ]


def test_a_bad_cell_rejects_that_year_only_naming_its_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv",
        [HEADER, [B, "乙", "7", "8", "1", "2"], [A, "甲", "100", "abc", "3", "4"]],
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.rows_accepted, report.rows_rejected) == (3, 1)
    assert [r[:3] for r in stored(settings, report.snapshot_id)] == [
        (A, 2023, Decimal("100.00")),
        (B, 2023, Decimal("7.00")),
        (B, 2024, Decimal("8.00")),
    ]
    with report.rejects_path.open(encoding="utf-8-sig") as fh:
        rejects = list(csv.DictReader(fh))
    assert [(r["file"], r["line"], r["column"], r["field"], r["value"]) for r in rejects] == [
        ("wide.csv", "3", "2024年营业收入(元)", "revenue", "abc")
    ]
    assert report.messages[0].startswith("wide.csv, line 3, column '2024年营业收入(元)'")


def test_a_year_whose_cells_are_all_empty_gives_no_row(tmp_path: Path) -> None:
    path = write(tmp_path / "wide.csv", [HEADER, [A, "甲", "100", " ", "3", ""]])
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.rows_read, report.rows_accepted) == (1, 1)
    assert stored(settings, report.snapshot_id) == [(A, 2023, Decimal("100.00"), Decimal("3.00"))]


def test_two_columns_for_one_header_and_year_are_refused_naming_both(tmp_path: Path) -> None:
    header = ["统一社会信用代码", "2023年营业收入(元)", "营业收入(元)(2023年)"]
    path = write(tmp_path / "wide.csv", [header, [A, "1", "2"]])
    with pytest.raises(
        ImportFileError, match=r"'2023年营业收入\(元\)' and '营业收入\(元\)\(2023年\)'"
    ):
        import_file(Settings(tmp_path / "data"), path)


def test_an_enterprise_on_two_lines_is_a_duplicate_naming_the_files_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv", [HEADER, [A, "甲", "1", "", "", ""], [A, "甲", "2", "", "", ""]]
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert report.rows_rejected == 2
    assert "duplicate key: lines 2, 3 have the same uscc and year" in report.messages[0]
    assert report.messages[0].startswith("wide.csv, line 2,")


def test_a_wide_workbook_is_read_as_a_wide_csv_is(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, [A, "甲", 100.25, 200, 3, None]]:
        sheet.append(row)
    path = tmp_path / "wide.xlsx"
    book.save(path)
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.wide_years == [2023, 2024]
    assert stored(settings, report.snapshot_id) == [
        (A, 2023, Decimal("100.25"), Decimal("3.00")),
        (A, 2024, Decimal("200.00"), None),
    ]


FIELDS = {"营业收入(元)": "revenue", "研发费用(元)": "rd_expense"}
cell = st.one_of(
    st.just(""),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False).map(str),
    st.just("abc"),
)


@st.composite
def wide_tables(draw: st.DrawFn) -> tuple[list[int], list[list[str]]]:
    years = sorted(draw(st.sets(st.integers(2019, 2025), min_size=1, max_size=3)))
    n = draw(st.integers(1, 5))
    rows = [
        [uscc.make(f"9131011500000{i:04d}"), *(draw(cell) for _ in years for _ in FIELDS)]
        for i in range(n)
    ]
    return years, rows


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(wide_tables())
def test_a_wide_table_imports_as_its_long_table_does(
    tmp_path_factory: pytest.TempPathFactory, table: tuple[list[int], list[list[str]]]
) -> None:
    years, rows = table
    folder = tmp_path_factory.mktemp("wide")
    header = ["统一社会信用代码", *(f"{y}年{h}" for y in years for h in FIELDS)]
    wide = write(folder / "wide.csv", [header, *rows])
    long_rows = []
    for row in rows:
        for k, y in enumerate(years):
            cells = row[1 + k * len(FIELDS) : 1 + (k + 1) * len(FIELDS)]
            if any(c.strip() for c in cells):
                long_rows.append([row[0], str(y), *cells])
    long = write(folder / "long.csv", [["统一社会信用代码", "年度", *FIELDS], *long_rows])
    reports = []
    for name, path in (("w", wide), ("l", long)):
        reports.append((Settings(folder / name), import_file(Settings(folder / name), path)))
    (ws, w), (ls, lg) = reports
    assert (w.rows_read, w.rows_accepted, w.rows_rejected) == (
        lg.rows_read,
        lg.rows_accepted,
        lg.rows_rejected,
    )
    assert w.rejects_by_field == lg.rejects_by_field
    if lg.snapshot_id is not None:
        assert stored(ws, w.snapshot_id) == stored(ls, lg.snapshot_id)


def test_what_is_stored_in_another_form_names_the_files_line_and_the_years_column(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "wide.csv",
        [HEADER, [B, "乙", "1", "2", "", ""], [A.lower(), "甲", "7", '="8"', "", ""]],
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert report.rows_accepted == 4
    assert report.uscc_upper_cased_lines == [3]
    assert report.formula_texts_unwrapped_lines == [3]
    with report.normalised_path.open(encoding="utf-8-sig") as fh:
        rows = [(r["line"], r["column"], r["field"]) for r in csv.DictReader(fh)]
    assert sorted(rows) == [
        ("3", "2024年营业收入(元)", "revenue"),
        ("3", "统一社会信用代码", "uscc"),
    ]


def test_a_title_above_a_wide_header_is_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv",
        [["2023-2024年度企业营收情况表"], HEADER, [A, "甲", "1", "2", "", "x"]],
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.header_line, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    assert report.messages == [
        "wide.csv, line 3, column '2024年研发费用(元)' (field 'rd_expense'): 'x' is not a number;"
        " write digits with at most 2 decimals, e.g. 1234.5"
    ]


def test_a_wide_parquet_file_is_read_as_a_wide_csv_is(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({HEADER[0]: [A, B], HEADER[2]: [100.25, None], HEADER[3]: [None, 7.0]})
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path)
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert report.wide_years == [2023, 2024]
    assert stored(settings, report.snapshot_id) == [
        (A, 2023, Decimal("100.25"), None),
        (B, 2024, Decimal("7.00"), None),
    ]


def test_a_unit_declared_above_a_wide_header_reads_every_years_column_in_it(
    tmp_path: Path,
) -> None:
    header = ["统一社会信用代码", "2023年营业收入", "2024年营业收入"]
    path = write(tmp_path / "wide.csv", [["单位：万元"], header, [A, "1.5", "2"]])
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path)
    assert (report.mapping, report.header_line, report.wide_years) == ("tax", 2, [2023, 2024])
    assert [r[2] for r in stored(settings, report.snapshot_id)] == [
        Decimal("15000.00"),
        Decimal("20000.00"),
    ]


def test_a_row_with_more_cells_than_the_header_is_rejected_once(tmp_path: Path) -> None:
    """Its one reason is said once; it counts as a rejected row for each year, as any
    other line counts a row per year (regression: it counted as one row)."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADER) + f"\n{A},甲,1,234,5,6,7\n{B},乙,1,2,3,4\n", encoding="utf-8")
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    assert report.wide_lines == 2
    assert len(report.messages) == 1 and report.messages[0].startswith("wide.csv, line 2:")
