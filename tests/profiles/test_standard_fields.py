"""The standard dictionary: the fields policies need, their codes, and plausible ranges."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import rowcheck, uscc
from huiqi.profiles.dictionary import NUMERIC_TYPES, Field, load_dictionary
from huiqi.profiles.importer import import_file
from huiqi.profiles.mapping_finder import packaged_mappings
from huiqi.profiles.staging import create_stage

PUDONG = uscc.make("91310115MA1H8R7C4")
XUHUI = uscc.make("91310104MA1K00234")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


@pytest.mark.parametrize(
    ("name", "ftype", "yearly", "codes", "source"),
    [
        ("tax_credit_rating", "enum", True, "tax_credit_ratings", "tax"),
        ("export_revenue", "money", True, None, "tax"),
        ("disabled_employees", "integer", True, None, "social_insurance"),
        ("energy_consumption", "decimal", True, None, "statistics"),
        ("office_floor_area", "decimal", False, None, "park"),
        ("production_floor_area", "decimal", False, None, "park"),
        ("listing_board", "enum", False, "listing_boards", "finance"),
        ("in_designated_park", "boolean", False, None, "park"),
        ("founder_age", "integer", False, None, "market"),
        ("founder_gender", "enum", False, "genders", "market"),
        ("size_class_reported", "enum", True, "size_classes", "statistics"),
        ("iso9001", "qualification", False, None, "certification"),
        ("iso14001", "qualification", False, None, "certification"),
        ("iso45001", "qualification", False, None, "certification"),
    ],
)
def test_fields_policies_need_are_standard(
    name: str, ftype: str, yearly: bool, codes: str | None, source: str
) -> None:
    f = load_dictionary().field(name)
    assert (f.type, f.yearly, f.codes, f.source) == (ftype, yearly, codes, source)
    assert f.reference, f"{name} cites no standard or registry"


def test_codes_of_the_new_lists() -> None:
    d = load_dictionary()
    assert list(d.codelist("tax_credit_ratings").codes) == ["A", "B", "M", "C", "D"]
    boards = {c: e["zh"] for c, e in d.codelist("listing_boards").codes.items()}
    assert set(boards.values()) == {"主板", "科创板", "创业板", "北交所", "港股", "未上市"}
    types = {e["zh"]: e.get("gb_code") for e in d.codelist("registration_types").codes.values()}
    assert types["国有企业"] == "110" and types["集体企业"] == "120"
    assert types["港澳台投资企业"] == "200" and types["外商投资企业"] == "300"
    assert types["个体工商户"] is None  # a registered kind outside the statistical list


def test_personal_fields_are_marked_and_optional() -> None:
    personal = {f.name for f in load_dictionary().fields if f.personal}
    assert personal == {"founder_age", "founder_gender"}


def test_every_numeric_field_has_a_plausible_range() -> None:
    for f in load_dictionary().fields:
        if f.type in NUMERIC_TYPES:
            assert f.min is not None and f.max is not None and f.min <= f.max, f.name
    revenue = load_dictionary().field("revenue")
    assert revenue.max == Decimal(10) ** 13


def test_new_fields_import_by_code_or_chinese_name(tmp_path: Path) -> None:
    data = Settings(tmp_path / "data")
    tax = write_csv(
        tmp_path / "tax.csv",
        ["统一社会信用代码", "年度", "营业收入(元)", "出口额(元)", "纳税信用等级"],
        [[PUDONG, "2024", "1000000", "250000.50", "A级"], [XUHUI, "2024", "5", "0", "M"]],
    )
    market = write_csv(
        tmp_path / "market.csv",
        ["统一社会信用代码", "登记注册类型", "创业者性别"],
        [[PUDONG, "国有企业", "女"], [XUHUI, "hmt_invested", ""]],
    )
    park = write_csv(
        tmp_path / "park.csv",
        ["统一社会信用代码", "办公用房面积(平方米)", "是否位于认定园区"],
        [[PUDONG, "1250.5", "是"]],
    )
    for path in (tax, market, park):
        report = import_file(data, path)
        assert report.rows_rejected == 0, report.messages
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        rows = con.execute(
            "SELECT e.uscc, registration_type, founder_gender, office_floor_area,"
            " in_designated_park, export_revenue, tax_credit_rating FROM enterprises e"
            " JOIN enterprise_years y USING (uscc) ORDER BY e.uscc"
        ).fetchall()
    assert rows == [
        (XUHUI, "hmt_invested", None, None, None, Decimal("0.00"), "M"),
        (PUDONG, "state_owned", "female", Decimal("1250.5"), True, Decimal("250000.50"), "A"),
    ]


def test_revenue_above_ten_trillion_is_refused_with_line_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "tax.csv",
        ["统一社会信用代码", "年度", "营业收入(元)", "研发费用(元)"],
        [[PUDONG, "2024", "10000000000000.01", "5"], [XUHUI, "2024", "10000000000000", "5"]],
    )
    report = import_file(Settings(tmp_path / "data"), path)
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages == [
        "tax.csv, line 2, column '营业收入(元)' (field 'revenue'): '10000000000000.01' is above"
        " the maximum 10000000000000 (plausible range of revenue: 0..10000000000000 yuan);"
        " check the unit (yuan or 10,000 yuan) and the column"
    ]


def test_range_applies_after_the_unit_of_the_column(tmp_path: Path) -> None:
    """A column in 万元 is checked in yuan: 10^9 万元 is 10^13 yuan, the limit itself."""
    layout = tmp_path / "wan.yaml"
    layout.write_text(
        "name: tax_wan\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        "  年度: year\n  营业收入(万元): revenue\nunits:\n  revenue: wan_yuan\n",
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "t.csv",
        ["统一社会信用代码", "年度", "营业收入(万元)"],
        [[PUDONG, "2024", "1000000000"], [XUHUI, "2024", "1000000000.0001"]],
    )
    report = import_file(Settings(tmp_path / "data"), path, mapping=str(layout))
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    assert report.messages[0].startswith("t.csv, line 3, column '营业收入(万元)'")


def _numeric_fields() -> list[tuple[Field, str]]:
    """Each importable numeric field with a packaged mapping that carries it."""
    found = []
    for m in packaged_mappings().values():
        for name in m.columns.values():
            f = load_dictionary().get(name)
            if f is not None and f.type in NUMERIC_TYPES:
                found.append((f, m.name))
    return sorted(found, key=lambda p: p[0].name)


def _text(value: Decimal, ftype: str) -> str:
    if ftype == "integer":
        return str(int(value))
    return format(value.quantize(Decimal("0.01")), "f")


@settings(max_examples=40, deadline=None)
@given(
    pick=st.sampled_from(_numeric_fields()),
    offsets=st.lists(
        st.one_of(
            st.decimals(min_value=-2, max_value=2, places=2),  # around a bound
            st.decimals(min_value=-(10**15), max_value=10**15, places=2),  # anywhere
        ),
        min_size=1,
        max_size=20,
    ),
    at_max=st.booleans(),
)
def test_a_value_is_accepted_exactly_when_it_is_within_the_range(
    pick: tuple[Field, str], offsets: list[Decimal], at_max: bool
) -> None:
    f, mapping_name = pick
    assert f.min is not None and f.max is not None
    mapping = packaged_mappings()[mapping_name]
    base = f.max if at_max else f.min
    values = [base + o for o in offsets]
    if f.type == "integer":
        values = [Decimal(int(v)) for v in values]
    fields = [*mapping.keys, f.name]
    con = duckdb.connect()
    create_stage(con, fields)
    rows = [
        # _line, _cells, _problem (none: the reader took the line), then the fields
        [
            line,
            len(fields),
            None,
            PUDONG,
            *(["2024"] if "year" in fields else []),
            _text(v, f.type),
        ]
        for line, v in enumerate(values, start=2)
    ]
    con.executemany(f"INSERT INTO _stage VALUES ({', '.join('?' * len(rows[0]))})", rows)
    rowcheck.build_checked(con, mapping, fields)
    reasons = con.execute(f"SELECT {rowcheck.why(f.name)} FROM _checked ORDER BY _line").fetchall()
    for value, (reason,) in zip(values, reasons, strict=True):
        inside = f.min <= Decimal(_text(value, f.type)) <= f.max
        # Beyond what the stored type holds at all: refused as too large, before the range.
        storable = abs(value) < {"money": Decimal(10) ** 16, "decimal": Decimal(10) ** 12}.get(
            f.type, Decimal(2) ** 63
        )
        if inside:
            assert reason is None, (f.name, value, reason)
        else:
            assert reason is not None, (f.name, value)
            assert ("plausible range" in reason) == storable, (f.name, value, reason)


def test_an_added_code_reaches_an_existing_store(tmp_path: Path) -> None:
    """A store made before a code list grew accepts the new code (its ENUM is widened)."""
    data = Settings(tmp_path / "data")
    with duckdb.connect(str(tmp_path / "old.duckdb")) as con:
        con.execute("CREATE TYPE enum_registration_type AS ENUM ('limited_company')")
        con.execute(
            "CREATE TABLE enterprises (uscc VARCHAR PRIMARY KEY, registration_type"
            " enum_registration_type, updated_snapshot INTEGER)"
        )
        con.execute("INSERT INTO enterprises VALUES (?, 'limited_company', 1)", [XUHUI])
    data.ensure_data_dir()
    (tmp_path / "old.duckdb").rename(data.profiles_db)
    path = write_csv(
        tmp_path / "market.csv", ["统一社会信用代码", "登记注册类型"], [[PUDONG, "集体企业"]]
    )
    report = import_file(data, path)
    assert report.rows_rejected == 0
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        assert con.execute(
            "SELECT uscc, registration_type FROM enterprises ORDER BY uscc"
        ).fetchall() == [(XUHUI, "limited_company"), (PUDONG, "collective")]
        # Columns added to the dictionary after the store was made are there too.
        names = {r[0] for r in con.execute("DESCRIBE enterprises").fetchall()}
    assert {"listing_board", "founder_gender", "in_designated_park"} <= names
