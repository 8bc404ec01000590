"""Codes written as Excel's text formula (="0610") in a registry file, read as the text."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.cellchecks import BLANKS
from huiqi.profiles.checkselect import cell_text
from huiqi.profiles.formulatext import formula_somewhere, unwrapped
from huiqi.profiles.importer import import_file
from huiqi.profiles.sqlexpr import col, sql

HEADER = "统一社会信用代码,企业名称,注册区划代码,行业代码,注册资本(元)"
A, B, C = (uscc.make(f"91310115MA1H8R7{k}4") for k in "CDE")


def _listed(report) -> list[tuple[str, str, str, str, str]]:  # type: ignore[no-untyped-def]
    assert report.normalised_path is not None
    with report.normalised_path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            (r["line"], r["field"], r["original"], r["stored"], r["change"])
            for r in csv.DictReader(fh)
        ]


def test_cells_unwrapped_on_one_line_are_said_to_be_on_that_line(tmp_path: Path) -> None:
    """Regression: the report said '(="0610" as 0610; lines 2)' for cells of one line."""
    path = tmp_path / "market.csv"
    path.write_text(f'{HEADER}\n{A},甲,="310115",="0610",100\n', encoding="utf-8")
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert report.formula_texts_unwrapped == 2
    assert '(="0610" as 0610; line 2);' in report.summary()


@pytest.mark.parametrize(("blank_line", "reader"), [(False, "duckdb"), (True, "recovering")])
def test_codes_written_as_excels_text_formula_are_read_and_listed(
    tmp_path: Path, blank_line: bool, reader: str
) -> None:
    """Regression: a CSV exported from a sheet that kept leading zeros with ="0610" held the
    formula, and the import refused it ('="0610"' is not an industry class) with no hint;
    a district or a USCC so written likewise. Each is now read as the text inside, as Excel
    shows it, counted in the report with its lines and listed in normalised.csv; the file
    read by DuckDB or by the recovering reader alike."""
    lines = [
        HEADER,
        f'="{A}",甲,="310115",="0610",100',  # as a CSV holds the formula, unquoted
        f'{B},乙,"=""310115""","=""0610""",200',  # quoted for the CSV
        *([""] if blank_line else []),
        f'{C},丙,"""=""""310104""""""",0610,300',  # the CSV's quoting read back as text
    ]
    path = tmp_path / "market.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = Settings(tmp_path / "data")

    report = import_file(data, path, mapping="market")

    assert (report.rows_accepted, report.rows_rejected, report.reader) == (3, 0, reader)
    last = 5 if blank_line else 4
    assert report.formula_texts_unwrapped == 6
    assert report.formula_texts_unwrapped_lines == [2, 2, 2, 3, 3, last]
    assert (
        f"Read 6 cell(s) written as Excel's text formula as the text inside the quotes, as"
        f' Excel shows it (="0610" as 0610; lines 2, 3, {last}); the original text is in'
        f" {report.normalised_path}."
    ) in report.summary()
    unwrapped_change = "formula text unwrapped"
    # Each cell as the file holds it, made safe to open in a spreadsheet (sheetcells).
    assert _listed(report) == [
        ("2", "uscc", f'\'="{A}"', A, unwrapped_change),
        ("2", "district_code", '\'="310115"', "310115", unwrapped_change),
        ("2", "industry_class", '\'="0610"', "0610", unwrapped_change),
        ("3", "district_code", '\'="310115"', "310115", unwrapped_change),
        ("3", "industry_class", '\'="0610"', "0610", unwrapped_change),
        (str(last), "district_code", '"=""310104"""', "310104", unwrapped_change),
    ]
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        stored = con.execute(
            "SELECT uscc, district_code, industry_class FROM enterprises ORDER BY uscc"
        ).fetchall()
    assert stored == [(A, "310115", "0610"), (B, "310115", "0610"), (C, "310104", "0610")]


def test_a_parquet_files_text_formulas_are_found_beside_typed_amounts(tmp_path: Path) -> None:
    """The search for text formulas skips the amounts a Parquet file types as numbers (they
    are staged as their digits, with no formula to find; at a city's scale the search over
    them took seconds), and still finds and lists those in its text columns."""
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "market.parquet"
    table = pa.table(
        {
            "统一社会信用代码": [A, B],
            "企业名称": ["甲", "乙"],
            "注册区划代码": ["310115", "310115"],
            "行业代码": ['="0610"', "0610"],
            "注册资本(元)": pa.array(
                [decimal.Decimal("100.00"), decimal.Decimal("200.50")], pa.decimal128(18, 2)
            ),
        }
    )
    pq.write_table(table, path)
    report = import_file(Settings(tmp_path / "data"), path, mapping="market")
    assert report.rows_accepted == 2
    assert report.formula_texts_unwrapped == 1
    # A Parquet file's "line" is its row; the listing's cell starts with ' (never a formula).
    assert _listed(report) == [
        ("1", "industry_class", '\'="0610"', "0610", "formula text unwrapped")
    ]
    # The amount was typed: nothing listed for it, and it was stored exactly.
    with duckdb.connect() as con:
        base = next((tmp_path / "data").rglob("enterprises.parquet"))
        got = con.execute("SELECT registered_capital FROM read_parquet(?) ORDER BY 1", [str(base)])
        assert [r[0] for r in got.fetchall()] == [
            decimal.Decimal("100.00"),
            decimal.Decimal("200.50"),
        ]


def test_a_formula_that_computes_its_code_is_refused_saying_what_it_is(tmp_path: Path) -> None:
    """Regression: ="06"&"10" (or =A1) keeps no result in a CSV; it was refused as 'not an
    industry class', as if mistyped. It is refused as a formula, with what to do; a
    free-text field (the name) keeps its text as before."""
    path = tmp_path / "market.csv"
    path.write_text(
        f'{HEADER}\n{A},=A1,310115,="06"&"10",100\n{B},乙,=B2,0610,100\n', encoding="utf-8"
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping="market")

    assert (report.rows_accepted, report.rows_rejected, report.formula_texts_unwrapped) == (0, 2, 0)
    advice = (
        " is a spreadsheet formula, not its result: a CSV keeps the formula typed, not what the"
        " sheet showed; in the sheet, copy the column and paste it back as values (Paste"
        " Special > Values) into a column formatted as text, save the file and import it again"
    )
    assert report.messages == [
        "market.csv, line 2, column '行业代码' (field 'industry_class'): '=\"06\"&\"10\"'" + advice,
        "market.csv, line 3, column '注册区划代码' (field 'district_code'): '=B2'" + advice,
    ]


CELL = st.one_of(
    st.text(alphabet=f'="&0123456789AaBz {BLANKS}', max_size=14),
    st.builds(
        lambda inner, shape, left, right: left + shape.format(inner) + right,
        st.text(alphabet=f"0123456789ABx甲{BLANKS}", max_size=10),
        st.sampled_from(['="{}"', '"=""{}"""', '=="{}"', '="{}""', "={}"]),
        st.sampled_from(["", " ", "\u3000", "\t"]),
        st.sampled_from(["", " ", "\u00a0", "\n"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(CELL, min_size=1, max_size=6))
def test_the_import_reads_a_cell_as_the_python_reading_says(cells: list[str]) -> None:
    """Property: over generated cell texts (text formulas with blanks inside and around,
    near misses, plain text), the check's SQL reads each cell as :func:`unwrapped` does
    (the report's listing uses it), else as the trimmed text; with the row's flag
    (:func:`formula_somewhere`) and without it alike."""
    con = duckdb.connect()
    con.execute("CREATE TABLE s (v VARCHAR, k INTEGER)")
    con.executemany("INSERT INTO s VALUES (?, ?)", [[c, k] for k, c in enumerate(cells)])
    flagged = exp.select(
        exp.alias_(cell_text("industry_class", col("v"), None), "plain"),
        exp.alias_(cell_text("industry_class", col("v"), None, formula_somewhere(["v"])), "f"),
    ).from_("s")
    read = con.execute(sql(flagged.order_by("k"))).fetchall()
    for text, (plain, with_flag) in zip(cells, read, strict=True):
        expected = unwrapped(text)
        if expected is None:
            expected = text.strip(BLANKS)
        assert (plain, with_flag) == (expected or None, expected or None), text


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.sampled_from(["0610", "6513", "0111", "7519"]),
    shape=st.sampled_from(['="{}"', '"=""{}"""', ' ="{} " ']),
)
def test_any_class_in_a_text_formula_is_stored_as_the_class(code: str, shape: str) -> None:
    """Property: an industry class inside either shape, with blanks, is stored as the class
    and listed once."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "market.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(
                [HEADER.split(","), [A, "甲", "310115", shape.format(code), "100"]]
            )
        data = Settings(Path(tmp) / "data")
        report = import_file(data, path, mapping="market")
        assert (report.rows_accepted, report.formula_texts_unwrapped) == (1, 1), report.messages
        with duckdb.connect(str(data.profiles_db), read_only=True) as con:
            assert con.execute("SELECT industry_class FROM enterprises").fetchall() == [(code,)]
