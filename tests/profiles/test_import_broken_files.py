"""Files that broke the importer (issue 10): each one now costs its bad rows, never the file."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

MARKET = ["统一社会信用代码", "企业名称", "创业者年龄"]


def codes(n: int) -> list[str]:
    return [uscc.make(f"91310115MA{i:07d}") for i in range(1, n + 1)]


def lines_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def stored_names(settings: Settings) -> dict[str, str]:
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        return dict(con.execute("SELECT uscc, name FROM enterprises").fetchall())


def rejects_of(report) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with open(report.rejects_path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_one_giant_csv_field_rejects_its_line_only(tmp_path: Path) -> None:
    """Regression: a 10 MB cell on line 5 refused the whole file ('field larger than field
    limit (131072)', no line number), losing its 199 good rows."""
    usccs = codes(200)
    rows = [[c, f"企业{i}", "30"] for i, c in enumerate(usccs)]
    rows[3][1] = "x" * (10 * 1024 * 1024)  # data row 4 = line 5
    path = tmp_path / "market.csv"
    path.write_text(lines_text([MARKET, *rows]), encoding="utf-8")
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (200, 199, 1)
    assert report.messages[0].startswith("market.csv, line 5: a cell is longer than 131,072")
    assert len(stored_names(settings)) == 199 and usccs[3] not in stored_names(settings)


def test_unbalanced_quote_is_reported_where_it_opened_and_the_next_line_is_kept(
    tmp_path: Path,
) -> None:
    """Regression: an unbalanced quote on line 12 swallowed the good line 13 into line 12's
    reject."""
    usccs = codes(20)
    text = lines_text([MARKET, *([c, f"企业{i}", "30"] for i, c in enumerate(usccs[:10]))])
    text += f'{usccs[10]},"上海未闭合引号公司,30\n'  # line 12
    text += lines_text([[c, f"企业{i}", "30"] for i, c in enumerate(usccs[11:], start=11)])
    path = tmp_path / "market.csv"
    path.write_text(text, encoding="utf-8")
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.rows_accepted, report.rows_rejected) == (19, 1)
    assert report.messages == [
        "market.csv, line 12: a quote opens a cell at column 20 and is not closed on this line, "
        "so the line cannot be split into cells; close the quote, or write a quote inside a "
        'quoted cell twice ("")'
    ]
    names = stored_names(settings)
    assert names[usccs[11]] == "企业11" and usccs[10] not in names


def test_quoted_cell_spanning_lines_is_still_one_cell(tmp_path: Path) -> None:
    a, b = codes(2)
    path = tmp_path / "market.csv"
    path.write_text(lines_text([MARKET, [a, "上海\n某某公司", "30"], [b, "乙", "31"]]), "utf-8")
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert report.rows_rejected == 0
    assert stored_names(settings) == {a: "上海\n某某公司", b: "乙"}


def test_utf8_file_with_one_gbk_row_rejects_that_row_with_its_line(tmp_path: Path) -> None:
    """Regression: one GBK row made the whole UTF-8 file refused, with a misleading byte
    position and 'save it as UTF-8'."""
    usccs = codes(6)
    head = lines_text([MARKET, *([c, f"上海企业{i}", "30"] for i, c in enumerate(usccs[:3]))])
    gbk = lines_text([[usccs[3], "上海国标编码公司", "40"]])
    tail = lines_text([[c, f"上海企业{i}", "30"] for i, c in enumerate(usccs[4:], start=4)])
    path = tmp_path / "market.csv"
    path.write_bytes(head.encode() + gbk.encode("gbk") + tail.encode())
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.encoding, report.rows_accepted, report.rows_rejected) == ("utf-8", 5, 1)
    [reject] = rejects_of(report)
    assert reject["line"] == "5"
    assert reject["reason"].startswith("the line is not UTF-8 like the rest of the file (byte 0xC9")
    assert "it reads as GBK/GB18030; save the whole file in one encoding" in reject["reason"]
    assert reject["企业名称"] == "上海国标编码公司"  # shown as the other encoding reads it
    assert set(stored_names(settings)) == set(usccs) - {usccs[3]}


def test_gbk_file_with_one_utf8_row_rejects_that_row_instead_of_storing_it_garbled(
    tmp_path: Path,
) -> None:
    """Regression: GB18030 decodes UTF-8 bytes without error, so a UTF-8 row in a GBK file
    was stored as mojibake (上海镕铖科技有限公司 as 涓婃捣闀曢摉...), where the README
    promises that a line in another encoding costs that line."""
    usccs = codes(4)
    head = lines_text([MARKET, *([c, f"上海企业{i}", "30"] for i, c in enumerate(usccs[:2]))])
    utf8 = lines_text([[usccs[2], "上海镕铖科技有限公司", "40"]])
    tail = lines_text([[usccs[3], "上海企业3", "30"]])
    path = tmp_path / "market.csv"
    path.write_bytes(head.encode("gbk") + utf8.encode() + tail.encode("gbk"))
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.encoding, report.rows_accepted, report.rows_rejected) == ("gb18030", 3, 1)
    [reject] = rejects_of(report)
    assert reject["line"] == "4"
    assert reject["reason"].startswith(
        "the line is UTF-8, not GBK/GB18030 like the rest of the file"
    )
    assert reject["企业名称"] == "上海镕铖科技有限公司"  # shown as UTF-8 reads it
    assert stored_names(settings) == {
        usccs[0]: "上海企业0",
        usccs[1]: "上海企业1",
        usccs[3]: "上海企业3",
    }


def test_gbk_file_is_still_read_as_gbk(tmp_path: Path) -> None:
    a, b = codes(2)
    path = tmp_path / "market.csv"
    path.write_bytes(lines_text([MARKET, [a, "上海甲公司", "30"], [b, "乙", "31"]]).encode("gbk"))

    report = import_file(Settings(tmp_path / "data"), path, mapping="market")

    assert (report.encoding, report.rows_accepted) == ("gb18030", 2)


def test_control_characters_are_refused_per_row(tmp_path: Path) -> None:
    """Regression: a NUL byte in a CSV name was stored as is."""
    a, b, c = codes(3)
    path = tmp_path / "market.csv"
    path.write_text(
        lines_text(
            [MARKET, [a, "上海\x00公司", "30"], [b, "正常公司", "31"], [c, "响\x1b铃", "41"]]
        ),
        encoding="utf-8",
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert report.messages == [
        "market.csv, line 2, column '企业名称' (field 'name'): the value contains the control "
        "character U+0000 at character 3; remove it (the export probably broke the text)",
        "market.csv, line 4, column '企业名称' (field 'name'): the value contains the control "
        "character U+001B at character 2; remove it (the export probably broke the text)",
    ]
    assert stored_names(settings) == {b: "正常公司"}


def test_parquet_struct_column_mapped_to_a_text_field_is_refused_per_row(tmp_path: Path) -> None:
    """Regression: a struct column mapped to 'name' stored "{'a': 1}" for every row."""
    a, b = codes(2)
    path = tmp_path / "market.parquet"
    names = pa.array([{"a": 1}, None], pa.struct([("a", pa.int64())]))
    pq.write_table(pa.table({"统一社会信用代码": [a, b], "企业名称": names}), path)
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages == [
        "market.parquet, line 1: column '企业名称' (field 'name') holds struct<a: int64> values, "
        "not single values; export the column as plain values"
    ]
    assert stored_names(settings) == {b: None}


def corrupt_second_row_group(path: Path) -> None:
    """Overwrite the middle of row group 2's first data page, leaving the footer intact."""
    meta = pq.read_metadata(path)
    column = meta.row_group(1).column(1)
    first = column.dictionary_page_offset or column.data_page_offset
    end = first + column.total_compressed_size
    raw = bytearray(path.read_bytes())
    for i in range(column.data_page_offset + 40, end - 8):
        raw[i] = 0xA5
    path.write_bytes(bytes(raw))


def test_parquet_with_a_damaged_row_group_keeps_the_readable_ones(tmp_path: Path) -> None:
    """Regression: a corrupt data page (footer intact) ended the import in a traceback
    ('OSError: ZSTD decompression failed')."""
    usccs = codes(300)
    path = tmp_path / "market.parquet"
    table = pa.table(
        {"统一社会信用代码": usccs, "企业名称": [f"企业{i:04d}" * 20 for i in range(300)]}
    )
    pq.write_table(table, path, row_group_size=100, compression="zstd", use_dictionary=False)
    corrupt_second_row_group(path)
    with pytest.raises(OSError):  # the damage is real: pyarrow cannot read row group 2
        pq.ParquetFile(path).read_row_group(1)
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (300, 200, 100)
    assert report.messages[0].startswith(
        "market.parquet, line 101: row group 2 of 3 (rows 101-200) cannot be read ("
    )
    assert report.messages[0].endswith(
        "); the file is damaged: export it again. The other row groups were read"
    )
    assert set(stored_names(settings)) == set(usccs[:100] + usccs[200:])


def workbook_with_notes_first(path: Path, rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["本表由区市场监管局导出，数据见第二张工作表"])
    data = wb.create_sheet("企业名单")
    for row in rows:
        data.append(row)
    wb.save(path)


def test_xlsx_with_data_on_the_second_sheet_finds_the_sheet(tmp_path: Path) -> None:
    """Regression: data on the second sheet read as 'the file is empty'."""
    a, b = codes(2)
    path = tmp_path / "market.xlsx"
    workbook_with_notes_first(path, [MARKET, [a, "甲公司", 30], [b, "乙公司", 41]])
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.sheet, report.rows_accepted) == ("market", "企业名单", 2)
    assert "(xlsx, sheet '企业名单')" in report.summary()
    assert stored_names(settings) == {a: "甲公司", b: "乙公司"}


def test_xlsx_sheet_can_be_named_and_a_wrong_name_is_explained(tmp_path: Path) -> None:
    a = codes(1)[0]
    path = tmp_path / "market.xlsx"
    workbook_with_notes_first(path, [MARKET, [a, "甲公司", 30]])
    settings = Settings(tmp_path / "data")

    assert import_file(settings, path, mapping="market", sheet="企业名单").rows_accepted == 1
    with pytest.raises(ImportFileError) as err:
        import_file(settings, path, sheet="数据")
    assert str(err.value) == (
        f"{path}: no sheet '数据' with data; sheets with data: ['说明', '企业名单']"
    )


@pytest.mark.parametrize("typed", ["企业名单", " 企业名单", "企业名单 "])
def test_a_sheet_named_with_a_space_around_it_is_found_as_it_looks(
    tmp_path: Path, typed: str
) -> None:
    """Regression: a tab named '企业名单 ' (a trailing space, invisible in Excel) could not
    be named: '--sheet 企业名单' was refused with a list that showed the same-looking name."""
    a = codes(1)[0]
    path = tmp_path / "market.xlsx"
    workbook_with_notes_first(path, [MARKET, [a, "甲公司", 30]])
    wb = openpyxl.load_workbook(path)
    wb["企业名单"].title = "企业名单 " if typed == "企业名单" else "企业名单"
    wb.save(path)

    report = import_file(Settings(tmp_path / "data"), path, mapping="market", sheet=typed)
    assert report.rows_accepted == 1


def test_lower_case_usccs_are_reported_with_their_original_text(tmp_path: Path) -> None:
    """Regression: lower-case USCCs were upper-cased without a word."""
    a, b, c = codes(3)
    path = tmp_path / "market.csv"
    path.write_text(
        lines_text([MARKET, [a.lower(), "甲", "30"], [b, "乙", "31"], [c.lower(), "丙", "x"]]),
        encoding="utf-8",
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.uscc_upper_cased, report.uscc_upper_cased_lines) == (2, [2, 4])
    assert (
        f"Upper-cased 2 USCC(s) written in lower case (lines 2, 4); the original text is in "
        f"{report.normalised_path}." in report.summary()
    )
    with open(report.normalised_path, encoding="utf-8-sig", newline="") as fh:
        changes = list(csv.DictReader(fh))
    assert [(r["line"], r["original"], r["stored"]) for r in changes] == [
        ("2", a.lower(), a),
        ("4", c.lower(), c),
    ]
    [reject] = rejects_of(report)  # the rejected row keeps the file's own text
    assert (reject["line"], reject["统一社会信用代码"]) == ("4", c.lower())
    assert set(stored_names(settings)) == {a, b}


@settings(max_examples=12, deadline=None)
@given(
    text=st.one_of(
        st.sampled_from(["Total:", "total", "Sum", "合计: total", "subtotal"]),
        st.text(alphabet="abcxyz0123456789 :-", min_size=1, max_size=20).filter(
            lambda t: t.strip() and any(ch.isalpha() for ch in t)
        ),
    )
)
def test_only_a_valid_code_is_listed_as_an_upper_cased_uscc(text: str) -> None:
    """Regression (QA): a sheet's "Total:" row, rejected as a total row, was counted in
    "Upper-cased 1 USCC(s) written in lower case" and listed in normalised.csv as the USCC
    'TOTAL:'. Property: whatever a USCC cell holds, only a lower-case text that is a valid
    code once upper-cased is listed; the lower-case valid code beside it still is."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = codes(2)
        path = Path(tmp) / "market.csv"
        path.write_text(
            lines_text([MARKET, [a.lower(), "甲", "30"], [text, "", "31"], [b, "乙", "32"]]),
            encoding="utf-8",
        )

        report = import_file(Settings(Path(tmp) / "data"), path, mapping="market")

        assert report.normalised_path is not None
        with open(report.normalised_path, encoding="utf-8-sig", newline="") as fh:
            listed = [(r["line"], r["original"]) for r in csv.DictReader(fh)]
        valid = uscc.is_valid(text.strip().upper()) and text.strip() != text.strip().upper()
        assert listed == [("2", a.lower()), *([("3", text)] if valid else [])]
        assert report.uscc_upper_cased == len(listed)
