"""Reading complaint exports: bad rows with line and reason, good rows kept, any encoding."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from huiqi.complaints import identity
from huiqi.complaints.mapping import default_mapping, load_mapping
from huiqi.complaints.reading import read_complaints
from huiqi.errors import ImportFileError, MappingError
from huiqi.profiles.uscc import make

KEY = b"reading-test-key"
HEADERS = list(default_mapping().columns.values())
USCC = make("91310115MA1000001")
GOOD = {
    "ref": "TS1",
    "name": "张三",
    "id_number": "11010519491231002X",
    "phone": "138-1234-5678",
    "address": "上海市黄浦区南京东路1号",
    "bank": "6222 0212 3456 7890 123",
    "uscc": USCC,
    "product": "蜂蜜",
    "amount": "29.90",
    "claim": "1000",
    "text": "标签不符合食品安全标准，要求十倍赔偿",
    "filed_on": "2026-03-05",
}


def _csv(rows: list[dict[str, str]], path: Path, encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADERS)
    for r in rows:
        w.writerow([r.get(f, "") for f in default_mapping().columns])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


BAD = [
    ({"ref": ""}, "complaint number (ref) is empty"),
    ({"id_number": ""}, "ID number is empty"),
    ({"id_number": "11010519491231002"}, "not 17 digits and a check character"),
    ({"id_number": "110105194912310021"}, "check character is wrong"),
    ({"phone": "12345"}, "the phone 12345 is not a phone number: give a mobile number"),
    ({"phone": "无"}, "is not a phone number"),
    ({"phone": "138001380001234567"}, "is not a phone number"),
    ({"uscc": "91310115MA100000"}, "not 18 characters of the USCC alphabet"),
    ({"uscc": USCC[:17] + ("0" if USCC[17] != "0" else "1")}, "USCC check character is wrong"),
    ({"text": "  "}, "complaint text is empty"),
    ({"filed_on": "2026-02-30"}, "is not a date"),
    ({"filed_on": "昨天"}, "is not a date"),
    ({"filed_on": "2999-01-01"}, "the date (filed_on) 2999-01-01 is in the future"),
    ({"amount": "-5"}, "is not yuan"),
    ({"claim": "1,00"}, "is not yuan"),  # not thousands: a mistyped number
    ({"claim": "12.345"}, "is not yuan"),  # a tenth of a fen
    ({"amount": "1,2345.00"}, "is not yuan"),
    ({"amount": "59.9 美元"}, "is not yuan"),
]


@pytest.mark.parametrize(("change", "reason"), BAD)
def test_a_bad_row_is_reported_with_line_and_reason_and_the_good_rows_kept(
    tmp_path: Path, change: dict[str, str], reason: str
) -> None:
    rows = [GOOD, {**GOOD, "ref": "TS2", **change}, {**GOOD, "ref": "TS3"}]
    read = read_complaints(_csv(rows, tmp_path / "c.csv"), KEY)
    assert read.complaints.column("ref").to_pylist() == ["TS1", "TS3"]
    assert [(r.line, reason in r.reason) for r in read.rejects] == [(3, True)], read.rejects


@pytest.mark.parametrize(("change", "reason"), BAD)
def test_a_bad_rows_reject_names_its_field_and_column(
    tmp_path: Path, change: dict[str, str], reason: str
) -> None:
    """Regression (QA): a reject said the line and the reason but not which column of the
    file held the value, as the hotline and registry imports do."""
    [about] = change
    read = read_complaints(_csv([{**GOOD, **change}], tmp_path / "c.csv"), KEY)
    [reject] = read.rejects
    assert (reject.field, reject.column) == (about, default_mapping().columns[about])


def test_a_row_with_too_few_cells_is_about_the_whole_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(",".join(HEADERS) + "\nTS1,张三\n", encoding="utf-8")
    [reject] = read_complaints(path, KEY).rejects
    assert "cells" in reject.reason and (reject.field, reject.column) == (None, None)


@pytest.mark.parametrize(
    ("start", "looks_like"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive, such as an Excel .xlsx workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
    ],
)
def test_a_file_named_csv_that_is_no_text_is_said_to_be_what_it_is(
    tmp_path: Path, start: bytes, looks_like: str
) -> None:
    """Regression (QA): x.pdf.csv holding a PDF was refused as "not GBK" (or its first line
    "%PDF-1.7" taken for a header without the mapping's columns)."""
    path = tmp_path / "x.pdf.csv"
    path.write_bytes(start + bytes(range(256)) * 8)
    with pytest.raises(ImportFileError) as refused:
        read_complaints(path, KEY)
    message = str(refused.value)
    assert "x.pdf.csv: not a text (CSV) file" in message and looks_like in message
    assert "GBK/GB18030" not in message


def test_a_repeated_complaint_number_is_a_reject_naming_the_first_line(tmp_path: Path) -> None:
    read = read_complaints(_csv([GOOD, GOOD], tmp_path / "c.csv"), KEY)
    assert read.rows == 2 and read.complaints.num_rows == 1
    assert read.rejects[0].line == 3 and "already on line 2" in read.rejects[0].reason


def test_identities_leave_the_reader_only_hashed_and_masked(tmp_path: Path) -> None:
    read = read_complaints(_csv([GOOD], tmp_path / "c.csv"), KEY)
    row = read.complaints.to_pylist()[0]
    assert not {"name", "id_number", "phone", "address", "bank"} & set(row)
    assert row["id_number_masked"] == "1101**********002X"
    assert row["phone_masked"] == "138****5678" and row["name_masked"] == "张*"
    assert row["phone_hash"] == identity.keyed_hash(KEY, "phone", "13812345678")
    assert row["amount_fen"] == 2990 and row["claim_fen"] == 100000
    assert GOOD["id_number"] not in repr(row) and "13812345678" not in repr(row)


def test_gbk_and_xlsx_read_like_utf8(tmp_path: Path) -> None:
    rows = [GOOD, {**GOOD, "ref": "TS2", "filed_on": "2026年3月6日"}]
    utf8 = read_complaints(_csv(rows, tmp_path / "u.csv"), KEY).complaints
    gbk = read_complaints(_csv(rows, tmp_path / "g.csv", "gbk"), KEY).complaints
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for r in rows:
        sheet.append([r[f] for f in default_mapping().columns])
    book.save(tmp_path / "x.xlsx")
    xlsx = read_complaints(tmp_path / "x.xlsx", KEY).complaints
    assert utf8.equals(gbk) and utf8.equals(xlsx)


def test_an_export_with_a_title_above_its_header(tmp_path: Path) -> None:
    """Regression: a title line above the header ("投诉举报系统导出（2026年3月）", as exports
    often open) refused the whole file: "the file has no column for ref (投诉编号), ...;
    its headers are ['投诉举报系统导出（2026年3月）']"."""
    plain = _csv([GOOD, {**GOOD, "ref": "TS2", "id_number": ""}], tmp_path / "plain.csv", "gbk")
    titled = tmp_path / "titled.csv"
    titled.write_bytes("投诉举报系统导出（2026年3月）\n".encode("gbk") + plain.read_bytes())
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["投诉举报系统导出（2026年3月）"])
    sheet.merge_cells("A1:L1")
    sheet.append(HEADERS)
    sheet.append([GOOD[f] for f in default_mapping().columns])
    book.save(tmp_path / "titled.xlsx")
    read = read_complaints(titled, KEY)
    # The same complaint, one line further down the file.
    assert read.complaints["line"].to_pylist() == [3]
    want = read_complaints(plain, KEY).complaints.drop_columns(["line"])
    assert read.complaints.drop_columns(["line"]).equals(want)
    assert [(r.line, r.reason) for r in read.rejects] == [(4, "the ID number is empty")]
    assert read_complaints(tmp_path / "titled.xlsx", KEY).complaints.equals(read.complaints)


def test_another_systems_export_reads_through_its_own_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "columns:\n  ref: 编号\n  id_number: 身份证\n  uscc: 企业代码\n  text: 内容\n  filed_on: 日期\n",
        "utf-8",
    )
    path = tmp_path / "other.csv"
    path.write_text(
        f"编号,身份证,企业代码,内容,日期\nA1,{GOOD['id_number']},{USCC},投诉,2026-01-02\n"
    )
    read = read_complaints(path, KEY, load_mapping(mapping))
    assert read.complaints.column("ref").to_pylist() == ["A1"] and not read.rejects
    with pytest.raises(MappingError, match="no column for"):
        read_complaints(_csv([GOOD], tmp_path / "c.csv"), KEY, load_mapping(mapping))


@pytest.mark.parametrize(
    ("written", "fen"),
    [
        ("1,000", 100_000),
        ("1,234.50", 123_450),
        ("12,345,678.9", 1_234_567_890),
        ("¥59.90", 5_990),
        ("￥ 1,200", 120_000),
        ("88元", 8_800),
        (" 0.01 ", 1),
    ],
)
def test_yuan_as_exports_write_them_are_read_to_the_fen(
    tmp_path: Path, written: str, fen: int
) -> None:
    # Exports written from spreadsheets group thousands and add a currency sign; the
    # complaint is kept with the exact amount (a grouped "1,000" was refused before).
    read = read_complaints(
        _csv([{**GOOD, "amount": written, "claim": written}], tmp_path / "c.csv"), KEY
    )
    assert not read.rejects, read.rejects
    row = read.complaints.to_pylist()[0]
    assert row["amount_fen"] == fen and row["claim_fen"] == fen


@settings(max_examples=60, deadline=None)
@given(
    fen=st.integers(0, 10**14 - 1),
    sign=st.sampled_from(["", "¥", "￥"]),
    unit=st.sampled_from(["", "元"]),
)
def test_any_grouped_yuan_reads_back_to_its_fen(fen: int, sign: str, unit: str) -> None:
    import tempfile

    text = f"{sign}{fen // 100:,}.{fen % 100:02d}{unit}"
    with tempfile.TemporaryDirectory() as folder:
        read = read_complaints(_csv([{**GOOD, "amount": text}], Path(folder) / "c.csv"), KEY)
    assert not read.rejects, (text, read.rejects)
    assert read.complaints.column("amount_fen").to_pylist() == [fen]


def test_an_export_without_optional_columns_is_read_and_says_what_it_lacks(
    tmp_path: Path,
) -> None:
    # Another office's export of the same system leaves out the bank and address columns:
    # the built-in mapping names them, but they are optional, so the rows are kept with
    # those fields empty and the report says which columns were absent.
    keep = [f for f in default_mapping().columns if f not in ("bank", "address")]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([default_mapping().columns[f] for f in keep])
    w.writerow([GOOD[f] for f in keep])
    path = tmp_path / "lean.csv"
    path.write_text(out.getvalue(), "utf-8")
    read = read_complaints(path, KEY)
    assert not read.rejects and read.complaints.num_rows == 1
    row = read.complaints.to_pylist()[0]
    assert row["bank_masked"] is None and row["address_masked"] is None
    assert row["phone_masked"] == "138****5678"
    assert read.absent == ["address (联系地址)", "bank (收款账号)"]
    # A required column stays required.
    path.write_text(out.getvalue().replace("投诉内容", "备注"), "utf-8")
    with pytest.raises(MappingError, match=r"no column for text \(投诉内容\)"):
        read_complaints(path, KEY)


cells = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.fixed_dictionaries({f: st.one_of(st.just(v), cells) for f, v in GOOD.items()}),
        min_size=1,
        max_size=8,
    ),
    encoding=st.sampled_from(["utf-8", "gbk"]),
)
def test_any_export_is_read_into_good_rows_and_line_numbered_rejects(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]], encoding: str
) -> None:
    """Fuzz: whatever the cells, the reader never fails the file; every row is kept or
    rejected once with its line and a reason, and kept rows are valid and hashed."""
    folder = tmp_path_factory.mktemp("fuzz")
    try:
        path = _csv(rows, folder / "c.csv", encoding)
    except UnicodeEncodeError:
        path = _csv(rows, folder / "c.csv", "utf-8")
    read = read_complaints(path, KEY)
    kept = read.complaints.to_pylist()
    assert all(r.line >= 2 and r.reason for r in read.rejects)
    assert len({r.line for r in read.rejects}) == len(read.rejects)
    assert len(kept) + len(read.rejects) == read.rows
    for r in kept:
        assert r["ref"] and r["text"] and r["filed_on"] is not None
        assert len(r["id_number_hash"]) == 32 and len(r["uscc"]) == 18


@settings(max_examples=60, deadline=None)
@example(field="id_number", value="ß")  # DuckDB's upper() gave ẞ where Python's gives SS
@example(field="phone", value="+86 138 1234 5678")
@given(
    field=st.sampled_from(identity.FIELDS),
    value=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
)
def test_the_sql_forms_of_normalise_mask_and_hash_are_the_python_ones(
    field: str, value: str
) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.execute("INSERT INTO t VALUES (?)", [value])
    outer, inner = identity.pads(KEY)[::-1]
    norm, masked, hashed = con.execute(
        f"SELECT n, {identity.mask_sql(field, 'n')}, {identity.hmac_sql(field, 'n')}"
        f" FROM (SELECT {identity.normalise_sql(field, 'v')} AS n FROM t)",
        [outer, inner],
    ).fetchone()  # type: ignore[misc]
    assert norm == identity.normalise(field, value)
    if norm:
        assert masked == identity.mask(field, value)
        assert hashed == identity.keyed_hash(KEY, field, value)
        assert hashed != identity.keyed_hash(KEY + b"x", field, value)
    else:
        assert masked is None and hashed is None


def test_a_complaint_dated_after_today_in_china_is_refused_naming_the_field(
    tmp_path: Path,
) -> None:
    """Regression: a filing date in the future was stored as it came."""
    today = dt.date(2026, 3, 5)
    rows = [
        {**GOOD, "ref": "T0", "filed_on": "2026-03-05"},
        {**GOOD, "ref": "T1", "filed_on": "2026年3月6日"},
    ]
    read = read_complaints(_csv(rows, tmp_path / "c.csv"), KEY, today=today)
    assert read.complaints.column("ref").to_pylist() == ["T0"]
    [reject] = read.rejects
    assert (reject.line, reject.ref) == (3, "T1")
    assert reject.reason == (
        "the date (filed_on) 2026年3月6日 is in the future: today is 2026-03-05 in China;"
        " give the day the complaint was filed"
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(phone="+86 138 1234 5678")
@example(phone="(021) 1234-5678")
@example(phone="86-13812345678")
@example(phone="1381234567")
@given(
    phone=st.one_of(
        st.text(st.sampled_from("0123456789 -()+86"), max_size=20),
        st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=20),
    )
)
def test_a_phone_is_kept_exactly_when_the_complaint_api_would_take_it(
    tmp_path: Path, phone: str
) -> None:
    """Regression (QA): the API refused a phone that is no phone number, but the same value
    in an imported file was stored, hashed and used to link complainants."""
    read = read_complaints(_csv([{**GOOD, "phone": phone}], tmp_path / "p.csv"), KEY)
    written = phone.strip()  # as DuckDB's trim (no control characters drawn here)
    if not written:
        assert read.rejects == [] and read.complaints.num_rows == 1
    else:
        assert (read.complaints.num_rows == 1) is identity.is_phone(written), read.rejects
        assert all(r.field == "phone" for r in read.rejects)


def test_a_file_without_the_mappings_columns_is_said_to_lack_them_not_the_mapping(
    tmp_path: Path,
) -> None:
    """Regression (QA): a registry file given to 'huiqi complaints import' was refused with
    "complaint_system.yaml: the file has no column for ...", which read as if the built-in
    mapping file were broken."""
    path = tmp_path / "tax.csv"
    path.write_text("纳税人识别号,税款所属年度\n91310115MA1H8R7C41,2025\n", "utf-8")
    with pytest.raises(MappingError) as refused:
        read_complaints(path, KEY)
    text = str(refused.value)
    assert text.startswith("the file has no column for ref (投诉编号)"), text
    assert "which mapping complaint_system.yaml reads" in text
    assert "its headers are ['纳税人识别号', '税款所属年度']" in text
