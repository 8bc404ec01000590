"""Importing the same registry data from every supported format and encoding."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.store import ProfileStore
from huiqi.sheetcells import PLAIN_NUMBER

PUDONG = uscc.make("91310115MA1H8R7C4")  # standards.md §1.3 (c)
XUHUI = uscc.make("91310104MA1K00234")  # §1.3 (d): check character wraps to '0'
TAX_HEADER = ["统一社会信用代码", "年度", "营业收入(元)", "研发费用(元)"]
TAX_ROWS = [
    [PUDONG, "2023", "1000.50", "0.30"],
    [XUHUI, "2023", "1234567890123.45", "7"],
    ["91310115MA1H8R7C42", "2023", "1", "2"],  # wrong check character
]
BAD_CHECK = (
    "'91310115MA1H8R7C42': check character is '2' but should be '1'; the code was probably mistyped"
)


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def rejects_of(report) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with open(report.rejects_path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def stored_years(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        return con.execute(
            "SELECT uscc, year, revenue, rd_expense FROM enterprise_years ORDER BY uscc"
        ).fetchall()


EXPECTED = [
    (XUHUI, 2023, Decimal("1234567890123.45"), Decimal("7.00")),
    (PUDONG, 2023, Decimal("1000.50"), Decimal("0.30")),
]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_in_every_encoding_imports_the_same_rows(tmp_path: Path, encoding: str, detected: str):
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes([TAX_HEADER, *TAX_ROWS], encoding))
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.encoding, report.format) == ("tax", detected, "csv")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 2, 1)
    assert stored_years(settings) == EXPECTED
    [reject] = rejects_of(report)
    assert (reject["file"], reject["line"], reject["column"], reject["field"]) == (
        "tax.csv",
        "4",
        "统一社会信用代码",
        "uscc",
    )
    assert reject["reason"] == BAD_CHECK
    assert json.loads(report.report_path.read_text("utf-8"))["encoding"] == detected


def test_xlsx_reports_sheet_rows_and_keeps_amounts_exact(tmp_path: Path):
    path = tmp_path / "tax.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(TAX_HEADER)
    ws.append([PUDONG, 2023, 1000.5, 0.1 + 0.2])  # a computed cell: 0.30000000000000004
    ws.append([])  # an empty sheet row is skipped but still counts for numbering
    ws.append([XUHUI, 2023, "1234567890123.45", 7])
    ws.append(["91310115MA1H8R7C42", 2023, 1, 2])
    wb.save(path)
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="tax")

    assert (report.format, report.encoding, report.rows_read, report.rows_accepted) == (
        "xlsx",
        None,
        3,
        2,
    )
    assert stored_years(settings) == EXPECTED
    [reject] = rejects_of(report)
    assert (reject["line"], reject["reason"]) == ("5", BAD_CHECK)


def test_a_usccs_stored_as_an_excel_number_is_refused_as_such_never_with_invented_digits(
    tmp_path: Path,
):
    """An 18-digit code typed into a number cell is a float that kept 15 digits: read as
    "913100001234568000" it failed its check character as "probably mistyped" (and 1 in
    31 such codes would pass it, under someone else's code)."""
    digits = uscc.make("91310000123456789")  # a real code of digits only
    path = tmp_path / "tax.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(TAX_HEADER)
    ws.append([PUDONG, 2023, 1000.5, 0.3])
    ws.append([float(digits), 2023, 1, 2])
    wb.save(path)
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="tax")

    assert (report.rows_read, report.rows_accepted) == (2, 1)
    [reject] = rejects_of(report)
    assert reject["line"] == "3"
    assert reject["value"] == "9.13100001234568E+17"
    assert reject["reason"].startswith("'9.13100001234568E+17' is a number in scientific notation")
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute("SELECT uscc FROM enterprise_years").fetchall() == [(PUDONG,)]


def test_the_index_pandas_writes_into_a_parquet_file_is_skipped(tmp_path: Path):
    """DataFrame.to_parquet of a filtered frame writes its index as '__index_level_0__':
    the file fitted no mapping ("headers ['__index_level_0__'] are not in mapping")."""
    path = tmp_path / "tax.parquet"
    table = pa.table(
        {
            "统一社会信用代码": [PUDONG, XUHUI],
            "年度": pa.array([2023, 2023], pa.int64()),
            "营业收入(元)": ["1000.50", "1234567890123.45"],
            "研发费用(元)": ["0.30", "7"],
            "__index_level_0__": pa.array([17, 42], pa.int64()),
        }
    )
    pq.write_table(table, path)
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.rows_accepted) == ("tax", 2)
    assert report.ignored_columns == ["__index_level_0__"]
    assert stored_years(settings) == EXPECTED


def test_parquet_reports_row_index_plus_one_and_rounds_doubles_like_excel(tmp_path: Path):
    path = tmp_path / "tax.parquet"
    table = pa.table(
        {
            "统一社会信用代码": [PUDONG, XUHUI, "91310115MA1H8R7C42"],
            "年度": pa.array([2023, 2023, 2023], pa.int32()),
            "营业收入(元)": pa.array(
                [Decimal("1000.50"), Decimal("1234567890123.45"), Decimal(1)], pa.decimal128(18, 2)
            ),
            "研发费用(元)": [0.1 + 0.2, 7.0, 2.0],
        }
    )
    pq.write_table(table, path)
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.format, report.rows_read, report.rows_accepted) == ("parquet", 3, 2)
    assert stored_years(settings) == EXPECTED
    [reject] = rejects_of(report)
    assert (reject["line"], reject["reason"]) == ("3", BAD_CHECK)


def test_quoted_multiline_cell_does_not_shift_line_numbers(tmp_path: Path):
    path = tmp_path / "market.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["统一社会信用代码", "企业名称", "创业者年龄"],
                [PUDONG, "上海某某\n科技\n有限公司", "30"],  # lines 2-4
                [XUHUI, "徐汇公司", "200"],  # line 5
            ],
            "utf-8",
        )
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert report.messages == [
        "market.csv, line 5, column '创业者年龄' (field 'founder_age'): '200' is above the maximum 100"
        " (plausible range of founder_age: 16..100 years)"
    ]
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute("SELECT name FROM enterprises").fetchall() == [
            ("上海某某\n科技\n有限公司",)
        ]


def test_rejects_file_has_bom_fixed_columns_and_the_original_row(tmp_path: Path):
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes([TAX_HEADER, *TAX_ROWS], "gbk"))

    report = import_file(Settings(tmp_path / "data"), path)

    raw = report.rejects_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == ["file", "line", "column", "field", "value", "reason", *TAX_HEADER]
    [reject] = rejects_of(report)
    assert [reject[h] for h in TAX_HEADER] == TAX_ROWS[2]
    assert reject["value"] == "91310115MA1H8R7C42"


def test_unknown_header_names_file_expected_and_found(tmp_path: Path):
    path = tmp_path / "tax.csv"
    path.write_bytes(
        csv_bytes([["统一社会信用代码", "年度", "营收"], [PUDONG, "2023", "1"]], "utf-8")
    )

    with pytest.raises(ImportFileError) as err:
        import_file(Settings(tmp_path / "data"), path, mapping="tax")

    message = str(err.value)
    assert message.startswith(
        f"{path}: headers ['营收'] are not in mapping 'tax'; expected headers ["
    )
    assert "found ['统一社会信用代码', '年度', '营收']" in message
    # A built-in mapping is not the user's to edit (an upgrade would undo it).
    assert message.endswith(
        f"or describe this layout in a mapping file of your own: 'huiqi mapping new {path}' "
        "drafts it from the header"
    )
    assert not (tmp_path / "data" / "imports").exists()  # nothing recorded


def test_missing_key_header_is_refused(tmp_path: Path):
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes([["统一社会信用代码", "营业收入(元)"], [PUDONG, "1"]], "utf-8"))

    with pytest.raises(ImportFileError, match=r"required headers \['年度'\] are missing") as e:
        import_file(Settings(tmp_path / "data"), path, mapping="tax")
    # It says what to do (QA: "… Add the columns" read as cut off).
    assert str(e.value).endswith(
        "Add the missing columns to the file, or import it with a mapping whose headers name"
        " its columns (--mapping FILE)"
    )


def test_header_that_fits_several_mappings_asks_for_one(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes([["统一社会信用代码"], [PUDONG]], "utf-8"))

    with pytest.raises(
        ImportFileError, match=r"fit several mappings .*; choose one with --mapping"
    ):
        import_file(Settings(tmp_path / "data"), path)


def test_empty_file_is_refused(tmp_path: Path):
    path = tmp_path / "tax.csv"
    path.write_bytes(b"")

    with pytest.raises(ImportFileError) as err:
        import_file(Settings(tmp_path / "data"), path)

    assert str(err.value) == (
        f"{path}: the file is empty; expected a header row followed by data rows"
    )


def test_a_file_with_no_row_accepted_makes_no_snapshot(tmp_path: Path):
    """Regression (QA): a header-only file, or one whose every row is rejected, made a new
    (empty) snapshot, frozen like any other, while its report said nothing changed."""
    settings = Settings(tmp_path / "data")
    header_only = tmp_path / "tax.csv"
    header_only.write_bytes(csv_bytes([TAX_HEADER], "utf-8-sig"))
    bad = tmp_path / "tax-bad.csv"
    bad.write_bytes(csv_bytes([TAX_HEADER, ["91310115MA1H8R7C40", "2023", "x", "1"]], "utf-8"))

    for path, read, rejected in ((header_only, 0, 0), (bad, 1, 1)):
        report = import_file(settings, path)
        assert (report.rows_read, report.rows_rejected, report.snapshot_id) == (
            read,
            rejected,
            None,
        )
        summary = report.summary()
        assert summary.startswith(f"Nothing imported from {path.name} with mapping 'tax'")
        assert "no row was accepted, so no snapshot was made" in summary
        assert "No changes" not in summary and "as snapshot" not in summary
        # The rejects are reported where a person finds them, under no snapshot's name.
        assert report.report_path.parent.parent == settings.imports_dir / "not-imported"
        assert report.rejects_path.exists() and report.report_path.exists()
    assert ProfileStore(settings).snapshots() == []
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())

    good = tmp_path / "tax-good.csv"
    good.write_bytes(csv_bytes([TAX_HEADER, *TAX_ROWS], "utf-8"))
    assert import_file(settings, good).snapshot_id == 1


def test_row_with_extra_cells_is_rejected_whole(tmp_path: Path):
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes([["统一社会信用代码", "年度"], [PUDONG, "2023", "9"]], "utf-8"))

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert report.messages == [
        "tax.csv, line 2: the row has 3 cells but the header has 2; give it one cell per column"
        " (in a CSV, a value that holds the separator goes in double quotes)"
    ]


def test_full_width_headers_and_tab_separated_gbk_are_understood(tmp_path: Path):
    path = tmp_path / "tax.txt"
    path.write_bytes(
        "统一社会信用代码\t年度\t营业收入（元）\r\n".encode("gbk")
        + f"{PUDONG}\t2023\t5\r\n".encode()
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.rows_accepted) == ("tax", 1)


def test_an_old_xls_workbook_reads_as_the_xlsx_does(tmp_path: Path):
    """The binary .xls (Excel 97-2003) that many offices' systems still export: dates,
    whole and decimal numbers and booleans arrive as Excel shows them, the data sheet
    is found behind a notes sheet, and lines are sheet rows."""
    import datetime as dt

    import xlwt

    book = xlwt.Workbook()
    book.add_sheet("填表说明").write(0, 0, "金额以元为单位")
    sheet = book.add_sheet("数据")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    rows: list[list[object]] = [
        ["统一社会信用代码", "企业名称", "成立日期", "注册资本(元)", "是否首次创业"],
        [PUDONG, "甲公司", dt.date(2019, 3, 1), 1000000.5, True],
        [XUHUI, "乙公司", "2020/1/5", 2e6, "否"],
        ["91310115MA1H8R7C42", "丙公司", dt.date(2021, 6, 30), 7, False],  # bad check digit
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, dated)
            else:
                sheet.write(r, c, value)
    sheet.write(4, 0, PUDONG[:-1] + "X")  # sheet row 5
    path = tmp_path / "market.xls"
    book.save(str(path))
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.format, report.sheet) == ("market", "xls", "数据")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    assert {m.split(",")[1].strip() for m in report.messages} == {"line 4", "line 5"}
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        stored = con.execute(
            "SELECT uscc, name, registration_date, registered_capital, founder_first_business"
            " FROM enterprises ORDER BY uscc"
        ).fetchall()
    assert stored == [
        (XUHUI, "乙公司", dt.date(2020, 1, 5), Decimal("2000000.00"), False),
        (PUDONG, "甲公司", dt.date(2019, 3, 1), Decimal("1000000.50"), True),
    ]


def test_xls_error_cells_read_as_excel_shows_them(tmp_path: Path):
    import xlrd
    import xlwt

    from huiqi.profiles.xlsread import XlsBook

    path = tmp_path / "a.xls"
    book = xlwt.Workbook()
    book.add_sheet("a").write(0, 0, 1)
    book.save(str(path))
    cell = xlrd.sheet.Cell(xlrd.XL_CELL_ERROR, 0x07)  # what xlrd gives for a #DIV/0! cell
    assert XlsBook(path)._text(cell) == "#DIV/0!"


def test_a_damaged_xls_is_refused_with_its_name(tmp_path: Path):
    path = tmp_path / "market.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")
    with pytest.raises(ImportFileError, match=r"market\.xls: not a readable \.xls workbook"):
        import_file(Settings(tmp_path / "data"), path)


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
@pytest.mark.parametrize("fast", [True, False])
def test_semicolon_bar_and_tab_separated_files_read_as_commas_do(
    tmp_path: Path, delimiter: str, fast: bool
):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows([TAX_HEADER, *TAX_ROWS])
    path = tmp_path / "tax.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, fast=fast)

    assert (report.mapping, report.rows_accepted, report.rows_rejected) == ("tax", 2, 1)
    assert report.reader == ("duckdb" if fast else "recovering")
    assert stored_years(settings) == EXPECTED


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_text_reads_as_utf8_does(tmp_path: Path, encoding: str):
    """Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated."""
    path = tmp_path / "tax.txt"
    text = "\r\n".join("\t".join(row) for row in [TAX_HEADER, *TAX_ROWS]) + "\r\n"
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16 writes its own
    path.write_bytes((bom + text).encode(encoding))
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.encoding, report.rows_accepted) == ("tax", "utf-16", 2)
    assert report.messages == [
        f"tax.txt, line 4, column '统一社会信用代码' (field 'uscc'): {BAD_CHECK}"
    ]
    assert stored_years(settings) == EXPECTED
    assert not list((settings.data_dir / "tmp").iterdir())  # the UTF-8 copy is gone


def test_utf16_that_breaks_off_is_refused(tmp_path: Path):
    path = tmp_path / "tax.txt"
    path.write_bytes("\t".join(TAX_HEADER).encode("utf-16") + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(ImportFileError, match=r"tax\.txt: the file starts as UTF-16 text but"):
        import_file(Settings(tmp_path / "data"), path)


def test_row_numbers_and_remarks_are_skipped_by_every_mapping(tmp_path: Path):
    """序号 and 备注 stand in most offices' sheets; no field holds them, and refusing the
    file over them (or asking for a mapping) helped nobody."""
    rows = [["序号", *TAX_HEADER, "备注"]]
    rows += [[str(i), *row, "补报" if i == 1 else ""] for i, row in enumerate(TAX_ROWS, 1)]
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes(rows, "utf-8"))
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.rows_accepted, report.rows_rejected) == ("tax", 2, 1)
    assert report.ignored_columns == ["序号", "备注"]
    assert "Columns not imported: 序号, 备注." in report.summary()
    assert stored_years(settings) == EXPECTED


def test_progress_is_called_with_rows_read(tmp_path: Path):
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes([TAX_HEADER, *TAX_ROWS], "utf-8"))
    seen: list[tuple[str, int, int]] = []

    import_file(Settings(tmp_path / "data"), path, progress=lambda *a: seen.append(a))

    assert seen == [
        ("read tax.csv", 3, 3),
        ("read tax.csv", 3, 3),
        ("check tax.csv", 3, 3),
        ("store tax.csv", 2, 2),
    ]


def test_rejects_file_escapes_cells_a_spreadsheet_would_run(tmp_path: Path):
    """Regression: rejected values were written as received, so '=HYPERLINK(...)' ran in Excel."""
    rows = [
        ['=HYPERLINK("http://x")', "2023", "1", "2"],
        [PUDONG, "@2023", "+1", "2"],
        [XUHUI, "\t2023", "-1", "\r=2"],
    ]
    path = tmp_path / "tax.csv"
    path.write_bytes(csv_bytes([TAX_HEADER, *rows], "utf-8"))

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert report.rows_rejected == 3
    with open(report.rejects_path, encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    # A signed number alone runs nothing and is kept as the file wrote it (sheetcells).
    runnable = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert runnable and all(PLAIN_NUMBER.fullmatch(c) for c in runnable), runnable
    assert '\'=HYPERLINK("http://x")' in cells and "'\r=2" in cells and "'@2023" in cells


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_row_shifted_by_an_unquoted_separator_is_rejected_not_stored_shifted(
    tmp_path: Path, encoding: str
):
    """A thousands separator left unquoted (`1,234`) split one cell in two and pushed
    every later cell one column right; the row's last cell (a remarks column, empty)
    then lay past the header and was taken for an export's padding, so the row was
    stored with revenue 1 and R&D 234: wrong figures, no word of it in the report.
    Blank cells past the header are padding only where the header line has them too."""
    path = tmp_path / "tax.csv"
    header = ["统一社会信用代码", "年度", "营业收入(元)", "研发费用(元)", "备注"]
    path.write_bytes(
        "\r\n".join([",".join(header), f"{PUDONG},2023,1,234,56,", f"{XUHUI},2023,7,8,"]).encode(
            encoding
        )
        + b"\r\n"
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert report.messages == [
        "tax.csv, line 2: the row has 6 cells but the header has 5; give it one cell per column"
        " (in a CSV, a value that holds the separator goes in double quotes)"
    ]
    assert stored_years(Settings(tmp_path / "data")) == [
        (XUHUI, 2023, Decimal("7.00"), Decimal("8.00"))
    ]


def test_rows_padded_like_their_header_are_read(tmp_path: Path):
    """An export that ends every line, the header's too, with empty cells is read."""
    path = tmp_path / "tax.csv"
    path.write_bytes(
        f"统一社会信用代码,年度,营业收入(元),研发费用(元),,\r\n{PUDONG},2023,1000.50,0.30,,\r\n".encode(
            "gbk"
        )
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert report.rows_rejected == 0
    assert stored_years(Settings(tmp_path / "data")) == [EXPECTED[1]]


def test_rows_whose_last_cell_is_empty_keep_the_fast_reader(tmp_path: Path):
    """A last column left empty ends the line with a separator; only a line with more
    separators than the header sends the file to the per-line reader."""
    path = tmp_path / "tax.csv"
    path.write_bytes(
        f"统一社会信用代码,年度,营业收入(元),研发费用(元)\r\n{PUDONG},2023,1000.50,\r\n".encode(
            "gbk"
        )
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert (report.reader, report.rows_rejected) == ("duckdb", 0)


def test_multiline_cell_in_a_file_with_trailing_empty_columns_is_imported(tmp_path: Path):
    """A GBK, semicolon-separated export whose header and rows end in empty cells (Excel
    pads them) rejected every row with a multi-line name or remark as a quote 'not closed
    on this line', and the lines inside the cell as rows of their own."""
    path = tmp_path / "tax.csv"
    text = (
        "统一社会信用代码;纳税人名称;年度;营业收入(元);备注;;\r\n"
        f'{PUDONG};"上海浦江\n示范科技";2023;"1,000.50";"第一行\n第二行";;\r\n'
        f"{XUHUI};徐汇公司;2023;1234567890123.45;;;\r\n"
    )
    path.write_bytes(text.encode("gbk"))

    report = import_file(Settings(tmp_path / "data"), path)

    assert (report.rows_read, report.rows_accepted, report.messages) == (2, 2, [])
    with duckdb.connect(str(Settings(tmp_path / "data").profiles_db), read_only=True) as con:
        assert con.execute(
            "SELECT uscc, revenue FROM enterprise_years ORDER BY uscc"
        ).fetchall() == [(XUHUI, Decimal("1234567890123.45")), (PUDONG, Decimal("1000.50"))]
