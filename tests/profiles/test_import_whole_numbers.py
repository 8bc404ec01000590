"""Counts and years written with zero decimals by the tool that exported them: pandas
writes an integer column with a gap as floats ('12.0' in a CSV), a database exports a
headcount as DECIMAL(10,2) (30.00) and a year as DECIMAL(6,1) (2024.0)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi import clock
from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

CODE = uscc.make("91310115MA1H8R7C4")
HEADER = ["统一社会信用代码", "年度", "年末参保人数"]


def _file(tmp: Path, year: str, count: str, zeros: int, parquet: bool) -> Path:
    """A social-insurance file of one row; in Parquet, both numbers as decimals with
    ``zeros`` places."""
    if parquet:
        path = tmp / "si.parquet"
        columns = [
            [CODE],
            pa.array([Decimal(year)], pa.decimal128(4 + zeros, zeros)),
            pa.array([Decimal(count)], pa.decimal128(8 + zeros, zeros)),
        ]
        pq.write_table(pa.table(dict(zip(HEADER, columns, strict=True))), path)
    else:
        path = tmp / "si.csv"
        path.write_text(f"{','.join(HEADER)}\n{CODE},{year},{count}\n", encoding="utf-8")
    return path


@settings(max_examples=12)
@given(
    year=st.integers(1980, clock.today().year),
    count=st.integers(0, 5_000_000),
    zeros=st.integers(1, 4),
    parquet=st.booleans(),
)
def test_a_count_and_a_year_with_zero_decimals_are_whole_numbers(
    tmp_path_factory, year: int, count: int, zeros: int, parquet: bool
):
    """'12.0' was refused as "'12.0' is not a whole number" and '2024.0' as "not a year;
    write 4 digits": every row of a pandas CSV with one empty count, or of a database
    export with DECIMAL columns, was rejected, though a Parquet float 12.0 was read as 12."""
    tmp = tmp_path_factory.mktemp("whole")
    places = "." + "0" * zeros
    path = _file(tmp, f"{year}{places}", f"{count}{places}", zeros, parquet)
    data = Settings(tmp / "data")

    report = import_file(data, path)

    assert (report.rows_accepted, report.messages) == (1, [])
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        stored = con.execute("SELECT year, insured_employees FROM enterprise_years").fetchall()
    assert stored == [(year, count)]


@pytest.mark.parametrize("parquet", [False, True])
@pytest.mark.parametrize(
    ("year", "count", "reason"),
    [
        ("2024", "12.5", "'12.5' is not a whole number; write digits without decimals, e.g. 12"),
        ("2024", "12.05", "'12.05' is not a whole number; write digits without decimals, e.g. 12"),
        ("2024.5", "12", "'2024.5' is not a year; write 4 digits, e.g. 2023 (or 2023年)"),
    ],
)
def test_a_fraction_is_still_refused(
    tmp_path: Path, year: str, count: str, reason: str, parquet: bool
):
    zeros = max(len(t.partition(".")[2]) for t in (year, count))
    if parquet:  # the decimal type pads both to the same places: '12.50', '2024.50'
        year, count = (str(Decimal(t).quantize(Decimal(1).scaleb(-zeros))) for t in (year, count))
        reason = reason.replace("'12.5'", f"'{count}'").replace("'2024.5'", f"'{year}'")
    path = _file(tmp_path, year, count, zeros, parquet)

    report = import_file(Settings(tmp_path / "data"), path)

    assert report.rows_accepted == 0
    assert [m.split("): ", 1)[1] for m in report.messages] == [reason]


@pytest.mark.parametrize(
    ("district", "registration", "stored"),
    [
        ("310115.0", "159.0", ("310115", "limited_company")),
        ("310115.00", "有限责任公司", ("310115", "limited_company")),
    ],
)
def test_a_numeric_code_with_zero_decimals_is_its_code(
    tmp_path: Path, district: str, registration: str, stored: tuple[str, str]
) -> None:
    """Regression: a district code exported by pandas from a column with a gap ('310115.0')
    was refused as "not an allowed value", every row of the file, though a year or a count
    written so is read as its whole number."""
    path = tmp_path / "market.csv"
    path.write_text(
        "统一社会信用代码,企业名称,注册区划代码,登记注册类型\n"
        f"{CODE},甲,{district},{registration}\n",
        encoding="utf-8",
    )
    data = Settings(tmp_path / "data")

    report = import_file(data, path, mapping="market")

    assert (report.rows_accepted, report.messages) == (1, [])
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        row = con.execute("SELECT district_code, registration_type FROM enterprises").fetchone()
    assert row == stored


def test_a_code_with_a_fraction_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "market.csv"
    path.write_text(
        f"统一社会信用代码,企业名称,注册区划代码\n{CODE},甲,310115.5\n", encoding="utf-8"
    )
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert report.rows_accepted == 0
    assert "'310115.5' is not an allowed value" in report.messages[0]


def test_an_industry_class_with_zero_decimals_is_its_class(tmp_path: Path) -> None:
    """Regression: '6513.0' (pandas, a column with a gap) was refused as "not an industry
    class"; '610.0' now says that its leading zero was lost, as '610' does."""
    other = uscc.make("91310115MA1H8R7C5")
    path = tmp_path / "market.csv"
    path.write_text(
        f"统一社会信用代码,企业名称,行业代码\n{CODE},甲,6513.0\n{other},乙,610.0\n",
        encoding="utf-8",
    )
    data = Settings(tmp_path / "data")

    report = import_file(data, path, mapping="market")

    assert report.rows_accepted == 1
    (message,) = report.messages
    assert "'610' has 3 digits" in message and "write '0610'" in message
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        assert con.execute("SELECT industry_class FROM enterprises").fetchall() == [("6513",)]


def test_a_yes_no_and_a_gender_code_with_zero_decimals_are_read(tmp_path: Path) -> None:
    """Regression: a 0/1 column exported by pandas with a gap ('1.0', '0.0') was refused as
    "not a yes/no value", though 1 and 0 are read; the same for a gender's national code."""
    other = uscc.make("91310115MA1H8R7C5")
    path = tmp_path / "market.csv"
    path.write_text(
        "统一社会信用代码,企业名称,是否首次创业,创业者性别\n"
        f"{CODE},甲,1.0,1.0\n{other},乙,0.00,2.0\n",
        encoding="utf-8",
    )
    data = Settings(tmp_path / "data")

    report = import_file(data, path, mapping="market")

    assert (report.rows_accepted, report.messages) == (2, [])
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        rows = con.execute(
            "SELECT founder_first_business, founder_gender FROM enterprises ORDER BY name"
        ).fetchall()
    assert sorted(rows) == [(False, "female"), (True, "male")]
