"""A district written after its city's name (上海市浦东新区, 上海浦东新区) is read as the
district. It broke: 浦东新区 was read as 310115, but an imported file that wrote the city
in front had the row refused as "not an allowed value"."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.coderules import enum_rule
from huiqi.profiles.dictionary import load_codelist, load_dictionary
from huiqi.profiles.importer import import_file
from huiqi.profiles.sqlexpr import col, sql

DISTRICTS = {code: str(e["zh"]) for code, e in load_codelist("districts").codes.items()}
CITY = ("上海市", "上海")


def _import(tmp_path: Path, cells: list[str]):  # type: ignore[no-untyped-def]
    rows = [[uscc.make(f"9131011{i % 10}MA1H8R7C{i // 10}"), cell] for i, cell in enumerate(cells)]
    path = tmp_path / "market.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["统一社会信用代码", "注册区划代码"], *rows])
    settings_ = Settings(tmp_path / "data")
    report = import_file(settings_, path, mapping="market")
    return settings_, report, [r[0] for r in rows]


def test_a_district_after_shanghais_name_is_read_as_the_district(tmp_path: Path) -> None:
    cells = ["上海市浦东新区", "上海浦东新区", "上海市崇明区", "上海黄浦区", "浦东新区"]
    settings_, report, codes = _import(tmp_path, cells)

    assert (report.rows_accepted, report.rows_rejected) == (5, 0), report.messages
    with duckdb.connect(str(settings_.profiles_db), read_only=True) as con:
        stored = dict(
            con.execute("SELECT uscc, district_code::VARCHAR FROM enterprises").fetchall()
        )
    assert [stored[c] for c in codes] == ["310115", "310115", "310151", "310101", "310115"]


def test_another_citys_name_or_the_city_alone_is_still_refused(tmp_path: Path) -> None:
    _, report, _ = _import(tmp_path, ["北京市浦东新区", "上海市", "上海市上海浦东新区"])

    assert (report.rows_accepted, report.rows_rejected) == (0, 3)
    beijing, *shanghai = report.messages
    assert "'北京市浦东新区' names a place in 北京市, not a district of 上海市" in beijing
    for value, message in zip(["上海市", "上海市上海浦东新区"], shanghai, strict=True):
        assert (
            f"'{value}' is not an allowed value; use a code or its Chinese name: 310101 (黄浦区),"
            in message
        ), message


def _parsed(value: str) -> str | None:
    field = load_dictionary().field("district_code")
    parsed, _, _ = enum_rule(field, col("v"))
    with duckdb.connect() as con:
        query = exp.select(exp.alias_(parsed, "code")).from_(
            exp.select(exp.alias_(exp.Literal.string(value), "v")).subquery("t")
        )
        row = con.execute(sql(query)).fetchone()
    assert row is not None
    return row[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=st.sampled_from(sorted(DISTRICTS)), city=st.sampled_from(["", *CITY]))
def test_every_district_is_read_with_or_without_the_city(code: str, city: str) -> None:
    assert _parsed(city + DISTRICTS[code]) == code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    code=st.sampled_from(sorted(DISTRICTS)),
    prefix=st.text(alphabet=st.sampled_from("上海市北京天津重庆省区县新 "), min_size=1, max_size=5),
)
def test_any_other_text_before_a_district_name_is_refused(code: str, prefix: str) -> None:
    assume(prefix not in CITY)
    assert _parsed(prefix + DISTRICTS[code]) is None
