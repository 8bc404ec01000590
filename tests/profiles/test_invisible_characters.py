"""Invisible characters pasted with a header or a value (a zero-width space, a direction
mark, a byte-order mark in mid-text): text copied from a web page or a Word table brings
them along, and no one can see them to remove them."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.mapping import normalise_header
from huiqi.profiles.mapping_finder import all_mappings

PUDONG = uscc.make("91310115MA1H8R7C4")
XUHUI = uscc.make("91310104MA1K00234")
# Soft hyphen, zero-width space, non-joiner, joiner, left-to-right mark, word joiner, BOM.
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u2060", "\ufeff"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_a_header_pasted_with_invisible_characters_fits_its_mapping(tmp_path: Path) -> None:
    """Regression: '统一社会信用代码' followed by a zero-width space, pasted from a web page,
    fitted no mapping ("headers [' 统一社会信用代码\\u200b'] are not in mapping 'tax'"), and
    the steward could not see what to rename."""
    path = write_csv(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码\u200b", "\u200e年度", "营业收入\ufeff(元)"],
            [PUDONG, "2023", "1000.50"],
        ],
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.mapping, report.rows_accepted, report.messages) == ("tax", 1, [])
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        assert con.execute("SELECT uscc, year, revenue FROM enterprise_years").fetchall() == [
            (PUDONG, 2023, Decimal("1000.50"))
        ]


@pytest.mark.parametrize(
    ("header", "value", "position"),
    [
        ("年度", "2023\u200b", 5),
        ("营业收入(元)", "\u200b1000", 1),
        ("纳税信用等级", "A\u200e", 2),
    ],
)
def test_an_invisible_character_in_a_value_is_named_by_its_position(
    tmp_path: Path, header: str, value: str, position: int
) -> None:
    """Regression: a year, an amount or a code with a zero-width space pasted after it was
    refused as "'2023' is not a year" (or not a number, not an allowed value) while it
    looked right; the message now names the character and where it is. The other row of
    the file is imported."""
    cells = {"年度": "2023", "营业收入(元)": "1", "纳税信用等级": "A", header: value}
    path = write_csv(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码", *cells],
            [PUDONG, *cells.values()],
            [XUHUI, "2023", "2", "B"],
        ],
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    code = f"{ord(value[position - 1]):04X}"
    field = {"年度": "year", "营业收入(元)": "revenue", "纳税信用等级": "tax_credit_rating"}
    assert report.rows_accepted == 1
    assert report.messages == [
        f"tax.csv, line 2, column '{header}' (field '{field[header]}'): the value contains the"
        f" invisible character U+{code} at character {position} (pasted with the text from a"
        " web page or a document); delete it"
    ]


HEADERS = sorted({h for m in all_mappings(None).values() for h in m.columns})


@given(
    header=st.sampled_from(HEADERS),
    inserts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.sampled_from(INVISIBLE)),
        max_size=4,
    ),
)
def test_invisible_characters_anywhere_in_a_header_are_ignored(
    header: str, inserts: list[tuple[int, str]]
) -> None:
    pasted = header
    for at, ch in inserts:
        at = min(at, len(pasted))
        pasted = pasted[:at] + ch + pasted[at:]
    assert normalise_header(pasted) == normalise_header(header)
