"""Per-cell validation on import: the exact reasons are part of the interface."""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from huiqi import clock
from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.cellchecks import uscc_ok
from huiqi.profiles.daterules import date_rule
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.importer import import_file
from huiqi.profiles.numberrules import decimal_rule
from huiqi.profiles.sqlexpr import col, sql

PUDONG = uscc.make("91310115MA1H8R7C4")
NOW = clock.today().year  # the suite's day (tests/conftest.py)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def one_cell(tmp_path: Path, mapping: str, header: str, value: str, year: bool = False):  # type: ignore[no-untyped-def]
    """Import one row (a valid USCC plus one cell) and return the report."""
    head = ["统一社会信用代码", *(["年度"] if year else []), header]
    row = [PUDONG, *(["2023"] if year else []), value]
    path = write_csv(tmp_path / f"{mapping}.csv", head, [row])
    return import_file(Settings(tmp_path / "data"), path, mapping=mapping)


REGISTRATION_TYPES = (
    "state_owned (国有企业), collective (集体企业), joint_stock_cooperative (股份合作企业), "
    "joint_operation (联营企业), wholly_state_owned_company (国有独资公司), "
    "limited_company (有限责任公司), joint_stock (股份有限公司), private (私营企业), "
    "other_domestic (其他企业), hmt_invested (港澳台投资企业), foreign_invested (外商投资企业), "
    "partnership (合伙企业), sole_proprietorship (个人独资企业), individual_business (个体工商户), "
    "cooperative (农民专业合作社), private_non_enterprise (民办非企业单位)"
)
DATE_FORMATS = "accepted formats: YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD"
YEAR_FIRST = (
    "write it year first from the source (YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日,"
    " YYYYMMDD) and import again"
)


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        # Regression: a day- or month-first date was "not a date", though the docs call it
        # refused as ambiguous; the steward was left to guess why 05.01.2023 is no date.
        (
            "成立日期",
            "05.01.2023",
            f"'05.01.2023' is written day or month first, which is ambiguous: {YEAR_FIRST}",
        ),
        ("成立日期", "2023-01/05", f"'2023-01/05' is not a date; {DATE_FORMATS}"),
        ("成立日期", "2023-01-05 09:30", f"'2023-01-05 09:30' is not a date; {DATE_FORMATS}"),
        (
            "成立日期",
            "2023-01-05 00:00:00.5",
            f"'2023-01-05 00:00:00.5' is not a date; {DATE_FORMATS}",
        ),
        (
            "成立日期",
            "5/1/2023",
            f"'5/1/2023' is written day or month first, which is ambiguous: {YEAR_FIRST}",
        ),
        ("成立日期", "2023-02-30", "'2023-02-30' is not a real calendar date"),
        ("成立日期", "18500101", "'18500101' is outside 1900-01-01..2100-12-31"),
        (
            "登记注册类型",
            "事业单位",
            f"'事业单位' is not an allowed value; use a code or its Chinese name: {REGISTRATION_TYPES};"
            " or, where the registry writes it its own way, say which code it means in the"
            " mapping: values: {registration_type: {事业单位: <code>}}",
        ),
        (
            "注册区划代码",
            "310108",
            "'310108' is a retired district code (now 310106 静安区); use the current district: "
            "retired codes are valid only inside a USCC",
        ),
        # Regression: another city's code or name got the list of Shanghai's districts,
        # as if it were mistyped.
        (
            "注册区划代码",
            "110105",
            "'110105' is a division code of 北京市 (GB/T 2260), not a district of 上海市: an"
            " enterprise registered there is not this city's to import; check the row, or"
            " leave it out of the file",
        ),
        (
            "注册区划代码",
            "广东省深圳市南山区",
            "'广东省深圳市南山区' names a place in 广东省, not a district of 上海市: an"
            " enterprise registered there is not this city's to import; check the row, or"
            " leave it out of the file",
        ),
        (
            "创业者年龄",
            "12",
            "'12' is below the minimum 16 (plausible range of founder_age: 16..100 years)",
        ),
        (
            "创业者年龄",
            "101",
            "'101' is above the maximum 100 (plausible range of founder_age: 16..100 years)",
        ),
        # Regression: it said what was wrong, not what to write instead.
        (
            "创业者年龄",
            "30.5",
            "'30.5' is not a whole number; write digits without decimals, e.g. 12",
        ),
        (
            "创业者年龄",
            "三十",
            "'三十' is not a whole number; write digits without decimals, e.g. 12",
        ),
        (
            "创业者年龄",
            "99999999999999999999",
            "'99999999999999999999' is too large for a whole number",
        ),
        (
            "注册资本(元)",
            "1,5",  # a decimal comma is not read: in a Chinese registry it is a typo
            "'1,5' is not a number; write digits with at most 2 decimals, e.g. 1234.5",
        ),
        (
            "注册资本(元)",
            "12,34,567",
            "'12,34,567' is not a number; write digits with at most 2 decimals, e.g. 1234.5",
        ),
        (
            "注册资本(元)",
            "1,000.005",
            "'1,000.005' has 3 decimals; an amount in yuan takes at most 2",
        ),
        (
            "创业者年龄",
            "1,000",
            "'1,000' is above the maximum 100 (plausible range of founder_age: 16..100 years)",
        ),
        ("注册资本(元)", "100.005", "'100.005' has 3 decimals; an amount in yuan takes at most 2"),
        (
            "注册资本(元)",
            "1.2E+07",
            "'1.2E+07' is in scientific notation, which loses digits; write the full number",
        ),
        # Regression: an accounting export's negative was "not a number", no more said.
        (
            "注册资本(元)",
            "(1,234.50)",
            "'(1,234.50)' is a negative number in accounting brackets; write it with a minus"
            " sign, e.g. -1234.5",
        ),
        (
            "创业者年龄",
            "（30）",
            "'（30）' is a negative number in accounting brackets; write it with a minus"
            " sign, e.g. -1234.5",
        ),
        (
            "注册资本(元)",
            "一百万",
            "'一百万' is not a number; write digits with at most 2 decimals, e.g. 1234.5",
        ),
        (
            "注册资本(元)",
            "123456789012345678",
            "'123456789012345678' is too large for an amount in yuan",
        ),
        (
            "行业代码",
            "651",
            "'651' has 3 digits; an industry class (GB/T 4754-2017) has 4: where the file kept"
            " the code as a number its leading zero was lost; write '0651' and keep the"
            " column as text",
        ),
        # Regression: these said "does not match the pattern ^[0-9]{4}$", not what to write.
        (
            "行业代码",
            "65",
            "'65' is not an industry class; write the 4 digits of its GB/T 4754-2017 class,"
            " e.g. 6511, as text",
        ),
        (
            "行业代码",
            "c 6511",
            "'c 6511' puts a section letter before the class; write the class's 4 digits alone,"
            " '6511', and keep the column as text (class 6511 is in section I, not C: check"
            " which is right)",
        ),
        (
            "行业代码",
            "T9912",
            "'T9912' puts a section letter before the class; write the class's 4 digits alone,"
            " '9912', and keep the column as text (division 99 does not exist in GB/T"
            " 4754-2017: check the code)",
        ),
        ("行业代码", "9912", "'9912': division 99 does not exist in GB/T 4754-2017 (01-97)"),
        (
            "是否首次创业",
            "也许",
            "'也许' is not a yes/no value; use one of: 是, 否, true, false, 1, 0, Y, N",
        ),
    ],
)
def test_bad_market_cell_is_rejected_with_its_reason(
    tmp_path: Path, header: str, value: str, reason: str
):
    report = one_cell(tmp_path, "market", header, value)

    assert (report.rows_accepted, report.rows_rejected) == (0, 1)
    field = report.messages[0].split("(field '")[1].split("'")[0]
    assert report.messages == [f"market.csv, line 2, column '{header}' (field '{field}'): {reason}"]


def test_a_registration_or_move_dated_after_today_is_refused_and_today_is_not(
    tmp_path: Path,
) -> None:
    """A founding dated 2030 was accepted (and an enterprise then counted minus years
    since its founding)."""
    today = clock.today()
    tomorrow = today + dt.timedelta(days=1)
    for header, event in (("成立日期", "a registration"), ("迁入日期", "a move into the city")):
        for sub in (header, f"{header}-today"):
            (tmp_path / sub).mkdir()
        report = one_cell(tmp_path / header, "market", header, tomorrow.strftime("%Y/%m/%d"))
        assert (report.rows_accepted, report.rows_rejected) == (0, 1)
        assert report.messages[0].endswith(
            f"'{tomorrow.strftime('%Y/%m/%d')}' is after today ({today.isoformat()}): {event}"
            " cannot be dated in the future; correct the date in the source and import again"
        ), report.messages
        report = one_cell(tmp_path / f"{header}-today", "market", header, today.isoformat())
        assert (report.rows_accepted, report.rows_rejected) == (1, 0), report.messages


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("20x3", "'20x3' is not a year; write 4 digits, e.g. 2023 (or 2023年)"),
        ("23年", "'23年' is not a year; write 4 digits, e.g. 2023 (or 2023年)"),
        ("1970", f"'1970' is outside the accepted data years 1980-{NOW}"),
        (str(NOW + 1), f"'{NOW + 1}' is outside the accepted data years 1980-{NOW}"),
        ("", "a value is required"),
    ],
)
def test_bad_year_is_rejected(tmp_path: Path, value: str, reason: str):
    path = write_csv(tmp_path / "tax.csv", ["统一社会信用代码", "年度"], [[PUDONG, value]])

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert report.messages == [f"tax.csv, line 2, column '年度' (field 'year'): {reason}"]


@pytest.mark.parametrize("text", ["1,234.5万元", "￥1234.00", "1234元", "¥ 5"])
def test_an_amount_with_a_unit_or_a_currency_sign_says_to_write_the_number_alone(
    tmp_path: Path, text: str
):
    """'1,234.5万元' in a yuan column was refused as 'not a number; write digits', which
    did not say why, nor that 万元 needs a mapping's units:."""
    report = one_cell(tmp_path, "tax", "营业收入(元)", text, year=True)
    assert report.messages == [
        f"tax.csv, line 2, column '营业收入(元)' (field 'revenue'): '{text}' carries a unit or a"
        " currency sign; write the number alone: this column is read in 元 (a column in"
        " another unit needs units: in its mapping)"
    ]


@pytest.mark.parametrize("text", ["2023年", "2023年度", "2023 年", "２０２３", "２０２３年度"])
def test_a_year_written_with_nian_or_in_full_width_digits_is_read(tmp_path: Path, text: str):
    """Offices' sheets head yearly rows 2023年 or 2023年度: every row was refused."""
    path = write_csv(
        tmp_path / "tax.csv", ["统一社会信用代码", "年度", "营业收入(元)"], [[PUDONG, text, "5"]]
    )
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path, mapping="tax")
    assert (report.rows_accepted, report.messages) == (1, [])
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute("SELECT uscc, year, revenue FROM enterprise_years").fetchall() == [
            (PUDONG, 2023, Decimal("5.00"))
        ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "a value is required"),
        ("91310115MA1H8R7C4", "'91310115MA1H8R7C4' has 17 characters; a USCC has exactly 18"),
        (
            "91310115MA1H8R7CO1",
            "'91310115MA1H8R7CO1': character 17 'O' is not allowed in a USCC "
            "(I, O, S, V and Z are never used)",
        ),
        (
            "81310115MA1H8R7C41",
            "'81310115MA1H8R7C41': prefix '81' is not a known registering department and type",
        ),
    ],
)
def test_bad_uscc_gets_the_message_of_uscc_validate(tmp_path: Path, value: str, reason: str):
    path = write_csv(tmp_path / "credit.csv", ["统一社会信用代码", "列入失信名单"], [[value, "否"]])

    report = import_file(Settings(tmp_path / "data"), path, mapping="credit")

    assert report.messages == [
        f"credit.csv, line 2, column '统一社会信用代码' (field 'uscc'): {reason}"
    ]


def test_a_row_with_one_bad_cell_is_rejected_whole_and_the_others_go_in(tmp_path: Path):
    other = uscc.make("91310104MA1K00234")
    path = write_csv(
        tmp_path / "market.csv",
        ["统一社会信用代码", "企业名称", "创业者年龄"],
        [[PUDONG, "好公司", "30"], [other, "坏年龄公司", "7"]],
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert (report.rows_accepted, report.rows_rejected, report.rows_changed) == (1, 1, 1)
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute("SELECT uscc, name FROM enterprises").fetchall() == [(PUDONG, "好公司")]


def test_good_market_values_are_normalised(tmp_path: Path):
    header = [
        "统一社会信用代码",
        "成立日期",
        "迁入日期",
        "注册区划代码",
        "行业代码",
        "登记注册类型",
        "是否首次创业",
        "注册资本(元)",
        "法定代表人户籍类型",
    ]
    path = write_csv(
        tmp_path / "market.csv",
        header,
        [
            [
                f" {PUDONG.lower()} ",
                "2019/03/01",
                "20200105",
                "浦东新区",
                "6513",
                "有限责任公司",
                "是",
                "0.30",
                "hukou",
            ]
        ],
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping="market")

    assert report.rows_accepted == 1, report.messages
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        row = con.execute(
            "SELECT uscc, registration_date, relocated_in_date, district_code::VARCHAR,"
            " industry_class, industry_section::VARCHAR, registration_type::VARCHAR,"
            " founder_first_business, registered_capital, legal_rep_residency::VARCHAR, uscc_region"
            " FROM enterprises"
        ).fetchone()
    assert row == (
        PUDONG,
        dt.date(2019, 3, 1),
        dt.date(2020, 1, 5),
        "310115",
        "6513",
        "I",
        "limited_company",
        True,
        Decimal("0.30"),
        "hukou",
        "310115",
    )


@pytest.mark.parametrize(
    "text",
    [
        "2023-01-05",
        "2023/1/5",  # what a Chinese-locale Excel writes when it saves a CSV
        "2023.1.5",
        "2023年1月5日",
        "2023年01月05",
        "20230105",
        "2023-01-05 00:00:00",  # a database export's timestamp at midnight
        # With zero fractions of a second: SQL Server's DATETIME, Java's Timestamp (regression).
        "2023-01-05 00:00:00.000",
        "2023-01-05 00:00:00.0",
        "2023/1/5 0:00",
        # Both a 日 and a midnight time: refused as "not a real calendar date".
        "2023年1月5日 0:00:00",
        "2023年1月5日 00:00",
        # Typed with a Chinese input method: refused as "not a date" (regression).
        "２０２３－０１－０５",
        "２０２３／１／５",
        "２０２３年１月５日",
        "２０２３０１０５",
        "２０２３．１．５",
    ],
)
def test_year_first_dates_in_every_usual_writing_are_read(tmp_path: Path, text: str):
    report = one_cell(tmp_path, "market", "成立日期", text)
    assert report.rows_accepted == 1, report.messages
    with duckdb.connect(str(Settings(tmp_path / "data").profiles_db), read_only=True) as con:
        assert con.execute("SELECT registration_date FROM enterprises").fetchone() == (
            dt.date(2023, 1, 5),
        )


_WRITINGS = [
    "{y}-{m:02}-{d:02}",
    "{y}/{m}/{d}",
    "{y}.{m}.{d}",
    "{y}年{m}月{d}日",
    "{y}{m:02}{d:02}",
]
_WIDE = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")


@settings(max_examples=80, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    writing=st.sampled_from(_WRITINGS),
    wide=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_a_date_in_full_width_characters_reads_as_its_ascii_twin(day, writing, wide) -> None:  # type: ignore[no-untyped-def]
    """Property: an office's date cell with any of its characters typed full-width (an input
    method's ２０２３／１／５) is the same date as the ASCII writing, and the shape check
    passes it; it was refused as "not a date" while numbers and years so typed were read."""
    ascii_text = writing.format(y=day.year, m=day.month, d=day.day)
    text = "".join(
        ch.translate(_WIDE) if wide[i % len(wide)] else ch for i, ch in enumerate(ascii_text)
    )
    parsed, checks = date_rule(col("v"))
    failing = exp.Anonymous(
        this="list_value", expressions=[exp.If(this=c, true=r) for c, r in checks]
    )
    query = exp.select(exp.alias_(parsed, "d"), exp.alias_(failing, "why")).from_("c")
    con = duckdb.connect()
    con.execute("CREATE TABLE c (v VARCHAR)")
    con.execute("INSERT INTO c VALUES (?)", [text])
    got, why = con.execute(sql(query)).fetchone()
    assert (got, [r for r in why if r is not None]) == (day, []), text


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1,234,567.89", Decimal("1234567.89")),  # as a Chinese-locale spreadsheet saves it
        ("+12,345", Decimal("12345.00")),
        ("999", Decimal("999.00")),
        ("１２３４．５", Decimal("1234.50")),  # full-width, as an input method types it
        ("１，２３４，５６７", Decimal("1234567.00")),
        ("＋１２", Decimal("12.00")),
    ],
)
def test_amounts_grouped_by_thousands_are_read_exactly(tmp_path: Path, text: str, stored: Decimal):
    report = one_cell(tmp_path, "market", "注册资本(元)", text)
    assert report.rows_accepted == 1, report.messages
    with duckdb.connect(str(Settings(tmp_path / "data").profiles_db), read_only=True) as con:
        assert con.execute("SELECT registered_capital FROM enterprises").fetchone() == (stored,)


def test_full_width_whole_numbers_are_read_and_bad_ones_still_refused(tmp_path: Path):
    report = one_cell(tmp_path, "market", "创业者年龄", "３５")
    assert report.rows_accepted == 1, report.messages
    with duckdb.connect(str(Settings(tmp_path / "data").profiles_db), read_only=True) as con:
        assert con.execute("SELECT founder_age FROM enterprises").fetchone() == (35,)
    (tmp_path / "again").mkdir()
    refused = one_cell(tmp_path / "again", "market", "创业者年龄", "３０．５")
    assert refused.rows_rejected == 1
    assert "'３０．５' is not a whole number" in refused.messages[0]


def test_a_registry_writing_its_own_type_names_imports_through_its_mapping(tmp_path: Path):
    """The market regulator writes 企业类型 in its own words; a mapping's ``values:`` says
    which code each means, and the statistical codes (159) are read as they are."""
    data = tmp_path / "data"
    (data / "mappings").mkdir(parents=True)
    (data / "mappings" / "samr.yaml").write_text(
        "name: samr\nregistry: market\nlayout: static\ncolumns:\n  统一社会信用代码: uscc\n"
        "  企业类型: registration_type\nvalues:\n  registration_type:\n"
        "    有限责任公司（国有独资）: wholly_state_owned_company\n"
        "    有限责任公司（外国法人独资）: foreign_invested\n",
        encoding="utf-8",
    )
    codes = [uscc.make(f"91310115MA000{i:04d}") for i in range(4)]
    path = write_csv(
        tmp_path / "samr.csv",
        ["统一社会信用代码", "企业类型"],
        [
            [codes[0], "有限责任公司（国有独资）"],
            [codes[1], "有限责任公司（外国法人独资）"],
            [codes[2], "159"],
            [codes[3], "有限责任公司（自然人投资或控股）"],  # not named: refused, listed
        ],
    )
    report = import_file(Settings(data), path)
    assert (report.mapping, report.rows_accepted, report.rows_rejected) == ("samr", 3, 1)
    assert "'有限责任公司（自然人投资或控股）' is not an allowed value" in report.messages[0]
    with duckdb.connect(str(Settings(data).profiles_db), read_only=True) as con:
        rows = con.execute(
            "SELECT uscc, registration_type::VARCHAR FROM enterprises ORDER BY uscc"
        ).fetchall()
    assert rows == [
        (codes[0], "wholly_state_owned_company"),
        (codes[1], "foreign_invested"),
        (codes[2], "limited_company"),
    ]


def test_tags_are_split_on_chinese_and_ascii_separators(tmp_path: Path):
    report = one_cell(tmp_path, "park", "企业标签", " AI；机器人, 独角兽 、 ")
    assert report.rows_accepted == 1
    with duckdb.connect(str(tmp_path / "data" / "profiles.duckdb"), read_only=True) as con:
        assert con.execute("SELECT tags FROM enterprises").fetchone() == (
            ["AI", "机器人", "独角兽"],
        )


def test_amounts_in_wan_yuan_are_converted_exactly(tmp_path: Path):
    mapping = tmp_path / "tax_wan.yaml"
    mapping.write_text(
        "name: tax_wan\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        "  年度: year\n  营业收入(万元): revenue\nunits:\n  revenue: wan_yuan\n",
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "tax.csv",
        ["统一社会信用代码", "年度", "营业收入(万元)"],
        [[PUDONG, "2023", "1.234567"], [uscc.make("91310104MA1K00234"), "2023", "0.0000001"]],
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path, mapping=str(mapping))

    assert report.messages == [
        "tax.csv, line 3, column '营业收入(万元)' (field 'revenue'): "
        "'0.0000001' has 7 decimals; an amount in 万元 takes at most 6"
    ]
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute("SELECT revenue FROM enterprise_years").fetchone() == (
            Decimal("12345.67"),
        )


def test_a_wan_yuan_cell_out_of_range_is_shown_in_yuan_beside_the_bound(tmp_path: Path):
    """Regression: a 万元 column's cell above the field's range was refused as "'1000000001'
    is above the maximum 10000000000000 (... yuan)", a number that reads smaller than the
    bound it is said to pass; the message now gives the cell in yuan too, and the unit by
    its Chinese name rather than the mapping's key (wan_yuan)."""
    mapping = tmp_path / "tax_wan.yaml"
    mapping.write_text(
        "name: tax_wan\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        "  年度: year\n  营业收入(万元): revenue\nunits:\n  revenue: wan_yuan\n",
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "tax.csv",
        ["统一社会信用代码", "年度", "营业收入(万元)"],
        [[PUDONG, "2023", "1000000001"], [uscc.make("91310104MA1K00234"), "2023", "1000000000"]],
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping=str(mapping))

    assert report.rows_accepted == 1
    assert report.messages == [
        "tax.csv, line 2, column '营业收入(万元)' (field 'revenue'): '1000000001' (万元:"
        " 10000000010000.00 yuan) is above the maximum 10000000000000 (plausible range of"
        " revenue: 0..10000000000000 yuan); check the unit (yuan or 10,000 yuan) and the column"
    ]


@settings(max_examples=60, deadline=None)
@given(
    value=st.decimals(min_value=0, max_value=Decimal("1e12"), places=6),
    factor=st.sampled_from([("wan_yuan", 10_000, "万元"), ("yi_yuan", 100_000_000, "亿元")]),
)
def test_a_scaled_amount_outside_its_range_names_its_yuan_value(value: Decimal, factor) -> None:  # type: ignore[no-untyped-def]
    """Property: whatever an office writes in a 万元 or 亿元 column, a refusal for the range
    states the value the bound was compared with, the cell times the unit, in yuan."""
    unit, times, words = factor
    revenue = load_dictionary().field("revenue")
    parsed, checks = decimal_rule(revenue, col("v"), unit, 2 + len(str(times)) - 1, times)
    reasons = [
        exp.alias_(reason, f"r{i}")
        for i, (_, reason) in enumerate(checks)
        if "maximum" in sql(reason)
    ]
    query = exp.select(exp.alias_(parsed, "yuan"), *reasons).from_("c")
    con = duckdb.connect()
    con.execute("CREATE TABLE c (v VARCHAR)")
    con.execute("INSERT INTO c VALUES (?)", [format(value, "f")])
    yuan, above = con.execute(sql(query)).fetchone()
    if yuan is None:  # past the fen: refused earlier, for its decimals or size
        return
    assert yuan == (value * times).quantize(Decimal("0.01"))
    assert above.startswith(f"'{format(value, 'f')}' ({words}: {yuan} yuan) is above the maximum")


def test_qualification_dates_must_be_in_order(tmp_path: Path):
    path = write_csv(
        tmp_path / "q.csv",
        ["统一社会信用代码", "资质类型", "证书编号", "有效期起", "有效期止"],
        [
            [PUDONG, "高新技术企业", "GR202331000001", "2023-12-01", "2026-11-30"],
            [PUDONG, "tech_sme", "T1", "2024-01-01", "2023-12-31"],
            [PUDONG, "独角兽", "X", "2024-01-01", "2025-01-01"],
        ],
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert report.mapping == "qualifications"
    assert report.messages == [
        "q.csv, line 3, column '有效期止' (field 'valid_to'): "
        "valid_to 2023-12-31 is before valid_from 2024-01-01",
        "q.csv, line 4, column '资质类型' (field 'qualification'): '独角兽' is not a qualification; "
        "use a code or its Chinese name: high_tech (高新技术企业), tech_sme (科技型中小企业), "
        "innovative_sme (创新型中小企业), srdi_sme (专精特新中小企业), "
        'little_giant (专精特新"小巨人"企业), advanced_service (技术先进型服务企业), '
        "iso9001 (质量管理体系认证（ISO 9001）), iso14001 (环境管理体系认证（ISO 14001）), "
        "iso45001 (职业健康安全管理体系认证（ISO 45001）)",
    ]
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute(
            "SELECT uscc, qualification, valid_to FROM qualifications"
        ).fetchall() == [(PUDONG, "high_tech", dt.date(2026, 11, 30))]
        # A certificate for an unknown enterprise creates its stub profile.
        assert con.execute("SELECT uscc, uscc_region, name FROM enterprises").fetchall() == [
            (PUDONG, "310115", None)
        ]


def _corruptions(code: str, rng: random.Random) -> list[str]:
    i = rng.randrange(18)
    swapped = code[:i] + rng.choice(uscc.ALPHABET.replace(code[i], "")) + code[i + 1 :]
    j = rng.randrange(17)
    transposed = code[:j] + code[j + 1] + code[j] + code[j + 2 :]
    letter = code[:i] + rng.choice("IOSVZ") + code[i + 1 :]
    return [swapped, transposed, letter, code[:17], code + "0", "Y1" + code[2:]]


def test_sql_uscc_check_agrees_with_uscc_validate():
    rng = random.Random(20240601)
    codes = ["91310104MA1K002340", "91350100M000100Y43", "91110000600037341L", "Y1310000MA1K002340"]
    for _ in range(3000):
        prefix = rng.choice([*sorted(uscc.KNOWN_PREFIXES), "21", "A1"])
        body = prefix + "".join(rng.choice("0123456789") for _ in range(6))
        code = uscc.make(body + "".join(rng.choice(uscc.ALPHABET) for _ in range(9)))
        codes += [code, *_corruptions(code, rng)]
    con = duckdb.connect()
    con.execute("CREATE TABLE c (v VARCHAR)")
    con.executemany("INSERT INTO c VALUES (?)", [[c] for c in codes])
    query = exp.select(col("v"), exp.alias_(uscc_ok(col("v")), "ok")).from_("c")

    verdicts = con.execute(sql(query)).fetchall()

    disagreements = [(c, ok) for c, ok in verdicts if ok != uscc.is_valid(c)]
    assert disagreements == []
    assert sum(ok for _, ok in verdicts) > 2000  # both outcomes are exercised


@pytest.mark.parametrize("text", ["持上海市居住证", "上海市居住证", "居住证", "residence_permit"])
def test_a_residence_permit_is_read_under_each_name_the_docs_give(tmp_path: Path, text: str):
    """Regression: docs/policies.md named it 上海市居住证, and the import refused that name."""
    report = one_cell(tmp_path, "market", "法定代表人户籍类型", text)
    assert (report.rows_accepted, report.rows_rejected) == (1, 0), report.messages
    with duckdb.connect(str(Settings(tmp_path / "data").profiles_db), read_only=True) as con:
        assert con.execute("SELECT legal_rep_residency FROM enterprises").fetchall() == [
            ("residence_permit",)
        ]


def test_an_industry_class_after_its_own_section_letter_is_read_and_listed(tmp_path: Path):
    """Regression: 'I6513', as registries often write a class, was refused (the steward had
    to edit the registry's file); the calculator already read it. A letter that agrees with
    the division is read as the class alone and listed in normalised.csv."""
    codes = [uscc.make(f"91310115MA1H8R7{i:02d}") for i in range(4)]
    path = write_csv(
        tmp_path / "market.csv",
        ["统一社会信用代码", "行业代码"],
        [[codes[0], "I6513"], [codes[1], "i-6513"], [codes[2], "6513"], [codes[3], "C6513"]],
    )
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert (report.rows_accepted, report.rows_rejected) == (3, 1)
    assert "class 6513 is in section I, not C" in report.messages[0]
    assert (report.industry_letters_removed, report.industry_letters_removed_lines) == (2, [2, 3])
    assert "Read 2 industry class(es) written after their section letter" in report.summary()
    with duckdb.connect(str(Settings(tmp_path / "data").profiles_db), read_only=True) as con:
        stored = con.execute(
            "SELECT uscc, industry_class, industry_section FROM enterprises ORDER BY uscc"
        ).fetchall()
    assert sorted(stored) == sorted((c, "6513", "I") for c in codes[:3])
    assert report.normalised_path is not None
    with report.normalised_path.open(encoding="utf-8-sig") as fh:
        listed = [(r["line"], r["original"], r["stored"], r["change"]) for r in csv.DictReader(fh)]
    assert listed == [
        ("2", "I6513", "6513", "section letter removed"),
        ("3", "i-6513", "6513", "section letter removed"),
    ]


def test_a_registry_file_with_the_enterprises_name_beside_its_code_imports(
    tmp_path: Path,
) -> None:
    """Regression: a tax file with 纳税人名称 beside the code (as most extracts carry) was
    refused ("headers ['纳税人名称'] are not in mapping 'tax'"). Every built-in layout but
    market skips the name, listed as not imported; a file of codes and names alone is still
    the market registry's (the layout that imports the name wins over those that skip it)."""
    code = PUDONG
    tax = tmp_path / "tax.csv"
    tax.write_text(
        f"统一社会信用代码,纳税人名称,年度,营业收入(元)\n{code},甲公司,2024,1000\n", "utf-8"
    )
    report = import_file(Settings(tmp_path / "data"), tax)
    assert (report.mapping, report.rows_accepted) == ("tax", 1)
    assert report.ignored_columns == ["纳税人名称"]
    names = tmp_path / "names.csv"
    names.write_text(f"统一社会信用代码,企业名称\n{code},甲公司\n", "utf-8")
    report = import_file(Settings(tmp_path / "data"), names)
    assert (report.mapping, report.rows_accepted) == ("market", 1)
