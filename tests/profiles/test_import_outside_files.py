"""Registry files written outside the project (QA round 2): typed Parquet columns an
office's database export produces, and texts a spreadsheet writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi import clock
from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

CODE = uscc.make("91310115MA1H8R7C4")

ZONES = st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "+08:00", "-05:30", "+0545"])


def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    if name[0] in "+-":
        digits = name[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        return dt.timezone(dt.timedelta(minutes=-minutes if name[0] == "-" else minutes))
    return ZoneInfo(name)


@settings(max_examples=12)
@given(day=st.dates(dt.date(1990, 1, 1), clock.today()), zone=ZONES)
def test_a_zoned_timestamp_at_local_midnight_is_its_own_zones_date(
    tmp_path_factory, day: dt.date, zone: str
):
    """A database export writes dates as TIMESTAMP WITH TIME ZONE: the import died with
    DuckDB's 'Unimplemented type for cast (TIMESTAMP WITH TIME ZONE -> TIME)'."""
    tmp = tmp_path_factory.mktemp("tz")
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=_zone(zone))
    path = tmp / "market.parquet"
    table = pa.table(
        {
            "统一社会信用代码": [CODE],
            "企业名称": ["甲"],
            "成立日期": pa.array([moment], pa.timestamp("us", tz=zone)),
        }
    )
    pq.write_table(table, path)
    data = Settings(tmp / "data")

    report = import_file(data, path)

    assert report.rows_accepted == 1
    stored = _stored(data, "SELECT registration_date FROM enterprises")
    assert stored == [(day,)]


def _stored(data: Settings, sql: str) -> list[tuple]:
    """The rows ``sql`` reads from the data directory's profile store."""
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _stored_revenue(data: Settings) -> list[tuple]:
    return _stored(data, "SELECT revenue FROM enterprise_years")


@settings(max_examples=12)
@given(
    fen=st.integers(0, 10**13),
    scale=st.integers(3, 6),
    parquet=st.booleans(),
)
def test_trailing_zeros_past_the_fen_are_no_extra_decimals(
    tmp_path_factory, fen: int, scale: int, parquet: bool
):
    """A DECIMAL(20,3) column of a database export (or a CSV formatted to 4 places) holds
    1234.560: it was refused as "'1234.560' has 3 decimals; an amount in yuan takes at
    most 2", though it is 1234.56 yuan exactly."""
    tmp = tmp_path_factory.mktemp("dec")
    amount = Decimal(fen).scaleb(-2).quantize(Decimal(1).scaleb(-scale))
    header = ["统一社会信用代码", "年度", "营业收入(元)"]
    if parquet:
        path = tmp / "tax.parquet"
        column = pa.array([amount], pa.decimal128(13 + scale, scale))
        pq.write_table(pa.table(dict(zip(header, [[CODE], [2024], column], strict=True))), path)
    else:
        path = tmp / "tax.csv"
        path.write_text(f"{','.join(header)}\n{CODE},2024,{amount}\n", encoding="utf-8")
    data = Settings(tmp / "data")

    report = import_file(data, path)

    assert report.rows_accepted == 1
    assert _stored_revenue(data) == [(Decimal(fen).scaleb(-2),)]


@settings(max_examples=10)
@given(
    fen=st.integers(0, 10**15 - 1),
    precision=st.integers(17, 76),
    half_float=st.booleans(),
)
def test_wide_decimals_and_half_floats_import_exactly(
    tmp_path_factory, fen: int, precision: int, half_float: bool
):
    """A DECIMAL(40,2) column (Arrow decimal256) or a float16 one killed the import with
    a traceback: "Unsupported Internal Arrow Type for Decimal d:40,2,256"."""
    tmp = tmp_path_factory.mktemp("wide")
    amount = Decimal(fen).scaleb(-2)
    path = tmp / "tax.parquet"
    table = pa.table(
        {
            "统一社会信用代码": [CODE],
            "年度": [2024],
            "营业收入(元)": pa.array([amount], pa.decimal256(precision, 2)),
            "研发费用(元)": pa.array([1.5], pa.float16() if half_float else pa.float64()),
        }
    )
    pq.write_table(table, path)
    data = Settings(tmp / "data")

    report = import_file(data, path)

    assert report.rows_accepted == 1
    stored = _stored(data, "SELECT revenue, rd_expense FROM enterprise_years")
    assert stored == [(amount, Decimal("1.50"))]


def _rejects(report) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    import csv

    with open(report.rejects_path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@settings(max_examples=10)
@given(day=st.dates(dt.date(1930, 1, 1), dt.date(2100, 12, 31)), xlsx=st.booleans())
def test_an_excel_date_serial_is_refused_with_the_date_it_stands_for(
    tmp_path_factory, day: dt.date, xlsx: bool
):
    """A date cell without a date format arrives as Excel's serial number (43831):
    "'43831' is not a date; accepted formats: ..." did not say what the number is nor
    how to fix the sheet."""
    import openpyxl

    tmp = tmp_path_factory.mktemp("serial")
    serial = (day - dt.date(1899, 12, 30)).days
    header = ["统一社会信用代码", "企业名称", "成立日期"]
    if xlsx:
        path = tmp / "market.xlsx"
        wb = openpyxl.Workbook()
        wb.active.append(header)
        wb.active.append([CODE, "甲", serial])
        wb.save(path)
    else:
        path = tmp / "market.csv"
        path.write_text(f"{','.join(header)}\n{CODE},甲,{serial}\n", encoding="utf-8")

    report = import_file(Settings(tmp / "data"), path)

    [reject] = _rejects(report)
    assert (reject["line"], reject["field"]) == ("2", "registration_date")
    assert reject["reason"] == (
        f"'{serial}' is not a date but looks like an Excel date serial number"
        f" ({day.isoformat()}): format the column as a date in Excel, or write the date as"
        " YYYY-MM-DD, and import again"
    )


SI_HEADERS = ["统一社会信用代码", "年度", "年末参保人数", "实缴失业保险费(元)", "裁员人数"]


@settings(max_examples=10)
@given(
    group=st.tuples(st.integers(2, 4), st.integers(1, 3)).filter(lambda g: g[0] + g[1] <= 5),
    title=st.booleans(),
    xlsx=st.booleans(),
)
def test_a_header_over_two_rows_with_merged_cells_imports_and_drafts(
    tmp_path_factory, group: tuple[int, int], title: bool, xlsx: bool
):
    """A form's header over two rows: a group title over merged cells ("参保" over
    年末参保人数 and 实缴失业保险费(元)) and the other columns merged down both rows.
    No single row names every column, and the import failed with "no mapping matches
    the headers [..., '参保', '', ...]"; 'huiqi mapping new' drafted '参保': null."""
    import openpyxl

    from huiqi.profiles.mappingdraft import draft_from_rows
    from huiqi.profiles.readers import open_source

    tmp = tmp_path_factory.mktemp("two")
    start, size = group
    upper = [h if not start <= i < start + size else "" for i, h in enumerate(SI_HEADERS)]
    upper[start] = "参保情况"
    lower = [h if start <= i < start + size else "" for i, h in enumerate(SI_HEADERS)]
    rows: list[list[object]] = [["2024年参保情况表"]] if title else []
    rows += [upper, lower, [CODE, "2024", "12", "1,000.50", "0"]]
    first = len(rows) - 2  # the upper header row (sheet rows count from 1)
    if xlsx:
        path = tmp / "si.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in rows:
            ws.append([c if c != "" else None for c in r])
        for i in range(len(SI_HEADERS)):
            if not start <= i < start + size:
                ws.merge_cells(
                    start_row=first, start_column=i + 1, end_row=first + 1, end_column=i + 1
                )
        ws.merge_cells(
            start_row=first, start_column=start + 1, end_row=first, end_column=start + size
        )
        wb.save(path)
    else:
        path = tmp / "si.csv"
        path.write_text(
            "\n".join(",".join(map(str, r)) for r in rows).replace("1,000.50", '"1,000.50"') + "\n",
            "utf-8",
        )
    data = Settings(tmp / "data")

    report = import_file(data, path)

    assert (report.mapping, report.rows_accepted, report.rows_rejected) == (
        "social_insurance",
        1,
        0,
    )
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        got = con.execute(
            "SELECT insured_employees, ui_premiums_paid, layoffs FROM enterprise_years"
        ).fetchall()
    assert got == [(12, Decimal("1000.50"), 0)]
    source = open_source(path)
    if xlsx:
        source = source.on_sheet(next(iter(source.sheets)))
    line, draft = draft_from_rows(source.header_rows(), name="si")
    assert line == first + 1
    assert list(draft.columns) == SI_HEADERS and not draft.unmatched


@settings(max_examples=8)
@given(thousands=st.integers(1, 999), fen=st.integers(0, 99))
def test_an_unquoted_amount_with_a_comma_says_to_quote_it(
    tmp_path_factory, thousands: int, fen: int
):
    """1,234.56 written without quotes in a comma-separated file splits the row:
    "the row has 4 cells but the header has 3" did not say what to do."""
    tmp = tmp_path_factory.mktemp("comma")
    path = tmp / "tax.csv"
    amount = f"{thousands},{fen:02d}0.00"
    header = "统一社会信用代码,年度,营业收入(元)"
    path.write_text(f'{header}\n{CODE},2024,{amount}\n{CODE},2023,"{amount}"\n', "utf-8")

    report = import_file(Settings(tmp / "data"), path)

    assert report.rows_accepted == 1
    assert report.messages == [
        "tax.csv, line 2: the row has 4 cells but the header has 3; give it one cell per"
        " column (in a CSV, a value that holds the separator goes in double quotes)"
    ]


@settings(max_examples=8)
@given(
    word=st.sampled_from(["合计", "合 计", "总计", "小计：", "Total", "TOTAL:", "总合计"]),
    yearly=st.booleans(),
)
def test_a_total_row_is_rejected_as_a_total_row(tmp_path_factory, word: str, yearly: bool):
    """A sheet's trailing total row ('合计', the sums) was rejected as "'合计' has 2
    characters; a USCC has exactly 18", which reads as a mistyped code to fix."""
    tmp = tmp_path_factory.mktemp("total")
    if yearly:
        path = tmp / "tax.csv"
        text = f"统一社会信用代码,年度,营业收入(元)\n{CODE},2024,100\n{word},2024,100\n"
    else:
        path = tmp / "market.csv"
        text = f"统一社会信用代码,企业名称,注册资本(元)\n{CODE},甲,100\n{word},,100\n"
    path.write_text(text, "utf-8")

    report = import_file(Settings(tmp / "data"), path)

    assert report.rows_accepted == 1
    [reject] = _rejects(report)
    assert (reject["line"], reject["field"]) == ("3", "uscc")
    assert reject["reason"] == (
        f"'{word.upper()}' starts a total row, not an enterprise's: delete the row (totals are not"
        " imported; the other rows are)"
    )


@settings(max_examples=8)
@given(
    mark=st.sampled_from(["-", "—", "--", "/", "无", "N/A", "－"]),
    column=st.sampled_from(["营业收入(元)", "年末参保人数"]),
)
def test_a_no_figure_mark_says_to_leave_the_cell_empty_or_write_zero(
    tmp_path_factory, mark: str, column: str
):
    """Chinese statements put '-' or '—' where there is no figure; it was refused as
    "'-' is not a number; write digits with at most 2 decimals", as if a figure were
    mistyped, without saying that an empty cell is how to write 'not known'."""
    tmp = tmp_path_factory.mktemp("mark")
    path = tmp / "data.csv"
    path.write_text(f"统一社会信用代码,年度,{column}\n{CODE},2024,{mark}\n", "utf-8")

    report = import_file(Settings(tmp / "data"), path)

    [reject] = _rejects(report)
    assert reject["column"] == column
    assert reject["reason"] == (
        f"'{mark}' marks a missing figure, not a number: leave the cell empty when the value"
        " is not known, or write 0 when it is zero"
    )


@settings(max_examples=8)
@given(
    tail=st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9),
    mark=st.sampled_from(["'", "‘", "`"]),
)
def test_a_code_behind_an_apostrophe_is_named_with_the_fix(tmp_path_factory, tail: str, mark: str):
    """A code written '91310115… (the apostrophe a spreadsheet uses to keep digits as
    text) was refused as "has 19 characters; a USCC has exactly 18"."""
    tmp = tmp_path_factory.mktemp("apos")
    code = uscc.make("91310115" + tail)
    path = tmp / "tax.csv"
    path.write_text(f"统一社会信用代码,年度,营业收入(元)\n{mark}{code},2024,1\n", "utf-8")

    report = import_file(Settings(tmp / "data"), path)

    [reject] = _rejects(report)
    assert reject["reason"] == (
        f"'{mark}{code}' is the code {code} behind an apostrophe (a spreadsheet's mark for"
        " text): remove the apostrophe and import again"
    )


@settings(max_examples=8)
@given(data=st.data())
def test_headers_broken_over_lines_or_spaced_out_still_match(tmp_path_factory, data):
    """A sheet's header cell broken over two lines ('统一社会' Alt+Enter '信用代码') or
    spaced out to fit ('年  度') matched no mapping: "no mapping matches the headers
    ['统一社会\\n信用代码', '年  度', ...]"."""
    import openpyxl

    tmp = tmp_path_factory.mktemp("ws")
    header = []
    for h in ["统一社会信用代码", "年度", "营业收入(元)"]:
        at = data.draw(st.integers(1, len(h) - 1))
        gap = data.draw(st.sampled_from(["\n", " ", "  ", "\u3000", "\r\n", "\t"]))
        header.append(h[:at] + gap + h[at:])
    path = tmp / "tax.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(header)
    wb.active.append([CODE, 2024, 7])
    wb.save(path)
    data_dir = Settings(tmp / "data")

    report = import_file(data_dir, path)

    assert (report.mapping, report.rows_accepted) == ("tax", 1)


@settings(max_examples=8)
@given(data=st.data())
def test_a_csv_header_cell_written_over_two_lines_is_read(tmp_path_factory, data):
    """Excel saves a header cell with a line break (营业收入 Alt+Enter (元)) as a quoted
    cell spanning two lines; the import stopped at once: "the header cannot be read: a
    quote opens a cell at column 18 and is not closed on this line"."""
    tmp = tmp_path_factory.mktemp("nl")
    breaks = data.draw(st.lists(st.booleans(), min_size=3, max_size=3))
    newline = data.draw(st.sampled_from(["\n", "\r\n"]))
    cells = []
    for h, broken in zip(["统一社会信用代码", "年度", "营业收入(元)"], breaks, strict=True):
        cells.append(f'"{h[:2]}{newline}{h[2:]}"' if broken else h)
    extra = sum(breaks)
    path = tmp / "tax.csv"
    rows = [",".join(cells), f"{CODE},2024,5", f"{CODE},2023,abc"]
    path.write_bytes((newline.join(rows) + newline).encode("utf-8-sig"))

    report = import_file(Settings(tmp / "data"), path)

    assert (report.mapping, report.rows_read, report.rows_accepted) == ("tax", 2, 1)
    [reject] = _rejects(report)
    assert reject["line"] == str(3 + extra)


@settings(max_examples=6)
@given(error=st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!"]))
def test_an_excel_error_value_says_to_correct_the_formula(tmp_path_factory, error: str):
    """A formula that failed in the sheet (#DIV/0!) was refused as "'#DIV/0!' is not a
    number; write digits with at most 2 decimals", as if a figure were mistyped."""
    import openpyxl

    tmp = tmp_path_factory.mktemp("err")
    path = tmp / "tax.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["统一社会信用代码", "年度", "营业收入(元)"])
    wb.active.append([CODE, 2024, error])
    wb.save(path)

    report = import_file(Settings(tmp / "data"), path)

    [reject] = _rejects(report)
    assert reject["reason"] == (
        f"'{error}' is an error of the sheet's formula, not a number: correct the formula"
        " (or leave the cell empty when the value is not known) and import again"
    )


def test_a_formula_without_a_stored_result_rejects_its_row_and_keeps_the_stored_value(
    tmp_path_factory,
):
    """Regression: a workbook written by a program that does not compute formulas keeps
    "=1+1" and no result; openpyxl reads the cell as empty, and the import cleared the
    stored revenue ("1 accepted, 1 changed"). Now the row is rejected, naming the cell;
    a formula in a column no field reads rejects nothing."""
    import openpyxl

    tmp = tmp_path_factory.mktemp("formula")
    other = uscc.make("91310115MA1H8R7D5")
    first = tmp / "tax.csv"
    first.write_text(
        f"统一社会信用代码,年度,营业收入(元)\n{CODE},2024,1000\n{other},2024,5\n", encoding="utf-8"
    )
    data = Settings(tmp / "data")
    assert import_file(data, first).rows_accepted == 2
    path = tmp / "tax.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["统一社会信用代码", "年度", "营业收入(元)", "备注"])
    wb.active.append([CODE, 2024, "=1+1", "x"])
    wb.active.append([other, 2024, 7, "=C3*2"])
    wb.save(path)

    report = import_file(data, path)

    assert (report.rows_read, report.rows_accepted) == (2, 1)
    [reject] = _rejects(report)
    assert reject["line"] == "2"
    # Where, down to the column and the field (the reject's own columns are the row's).
    assert reject["reason"].startswith(
        "cell C2 (column '营业收入(元)', field 'revenue') holds a formula whose result the file"
        " does not keep"
    )
    assert "save it" in reject["reason"]
    stored = _stored(data, "SELECT uscc, revenue FROM enterprise_years ORDER BY uscc")
    assert stored == sorted([(CODE, Decimal(1000)), (other, Decimal(7))])


@settings(max_examples=40)
@given(
    before=st.integers(0, 3000),
    refs=st.lists(
        st.tuples(st.sampled_from(["A", "C", "AB", "XFD"]), st.integers(1, 999)),
        unique=True,
        max_size=5,
    ),
    prefix=st.sampled_from(["", "x:"]),
    chunk=st.sampled_from([64, 256, 1 << 20]),
)
def test_uncomputed_cells_are_found_wherever_they_fall_in_the_sheets_xml(
    before: int, refs: list[tuple[str, int]], prefix: str, chunk: int
) -> None:
    """The scan reads the sheet's XML in chunks: a cell across a chunk's end is found
    once; a formula with its result stored is not an uncomputed one."""
    import io

    from huiqi.profiles import xlsxread

    p = prefix
    cells = [f'<{p}c r="{c}{r}" s="1"><{p}f>SUM(A1:A2)</{p}f></{p}c>' for c, r in refs]
    cells.insert(0, f'<{p}c r="B1"><{p}f>1+1</{p}f><{p}v>2</{p}v></{p}c>' + " " * before)
    cells.append(
        f'<{p}c r="D9" t="s"><{p}v>3</{p}v></{p}c><{p}c r="E9"><{p}f t="shared" si="0"/></{p}c>'
    )
    xml = "<sheetData>" + "".join(cells) + "</sheetData>"
    original = xlsxread._CHUNK, xlsxread._OVERLAP
    xlsxread._CHUNK, xlsxread._OVERLAP = chunk, min(chunk, 1 << 15)
    try:
        found = xlsxread.uncomputed_cells(io.BytesIO(xml.encode()))
    finally:
        xlsxread._CHUNK, xlsxread._OVERLAP = original
    expected: dict[int, list[str]] = {}
    for c, r in [*refs, ("E", 9)]:
        expected.setdefault(r, []).append(f"{c}{r}")
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}


@settings(max_examples=8)
@given(written=st.sampled_from(["a", "b", "m", "A", "B", "M"]))
def test_a_code_in_another_case_is_the_code(tmp_path_factory, written: str):
    """Regression: a tax credit rating written 'a' was refused with "'a' is not an allowed
    value; use a code or its Chinese name: A (A级), …", the code it meant in the list."""
    tmp = tmp_path_factory.mktemp("case")
    path = tmp / "tax.csv"
    path.write_text(
        f"统一社会信用代码,年度,纳税信用等级\n{CODE},2024,{written}\n", encoding="utf-8"
    )
    data = Settings(tmp / "data")

    report = import_file(data, path)

    assert report.rows_accepted == 1, _rejects(report)
    stored = _stored(data, "SELECT CAST(tax_credit_rating AS VARCHAR) FROM enterprise_years")
    assert stored == [(written.upper(),)]


def test_a_workbook_import_names_the_data_directorys_broken_mapping_file(tmp_path):
    """With a mapping file in <data dir>/mappings/ that reuses a built-in name, a workbook
    was refused as 'no sheet has a header that fits a mapping', the reason repeated for
    every sheet without the mapping file's path, so the steward could not tell which file
    to fix (a CSV import named it)."""
    import openpyxl
    import pytest

    from huiqi.errors import HuiqiError

    settings = Settings(tmp_path / "data")
    settings.mappings_dir.mkdir(parents=True)
    broken = settings.mappings_dir / "district.yaml"
    broken.write_text(
        "name: tax\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n  年度: year\n",
        encoding="utf-8",
    )
    wb = openpyxl.Workbook()
    wb.active.append(["说明"])
    data = wb.create_sheet("数据")
    data.append(["统一社会信用代码", "年度", "营业收入(元)"])
    data.append([CODE, 2024, 100])
    path = tmp_path / "tax.xlsx"
    wb.save(path)

    with pytest.raises(HuiqiError) as refused:
        import_file(settings, path)

    assert str(refused.value) == (
        f"{broken}: name 'tax' is already the name of mapping huiqi/profiles/mappings/tax.yaml;"
        " give this mapping its own name"
    )


def test_several_uncomputed_formulas_in_a_row_are_named_each_with_its_column() -> None:
    from huiqi.profiles.xlsxread import uncomputed_problem

    problem = uncomputed_problem(["C2", "E2"], {2: "column '营业收入(元)', field 'revenue'"})
    assert problem.startswith(
        "cells C2 (column '营业收入(元)', field 'revenue'), E2 hold formulas whose result"
    )
