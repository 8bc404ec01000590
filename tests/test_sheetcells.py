"""Spreadsheet-safe cells: no written cell can start a formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.sheetcells import FORMULA_STARTS, PLAIN_NUMBER, cell_text, safe_row

DANGEROUS = st.sampled_from(["", *FORMULA_STARTS, "'", " "])


@given(prefix=DANGEROUS, rest=st.text())
def test_no_cell_starts_a_formula_and_the_text_is_kept(prefix: str, rest: str) -> None:
    text = prefix + rest
    out = cell_text(text)
    assert not out.startswith(FORMULA_STARTS) or PLAIN_NUMBER.fullmatch(out)
    assert out in (text, "'" + text)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1)", "'+1)"),
        # Regression: a rejected '-50' was written "'-50", and a steward who fixed the row
        # in rejects.csv and imported it again sent "'-50". A number alone runs nothing.
        ("-1", "-1"),
        ("-50.25", "-50.25"),
        ("+1,234", "+1,234"),
        ("-1+1", "'-1+1"),
        ("-1e3", "'-1e3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("上海=有限公司", "上海=有限公司"),
        (None, ""),
        (2023, "2023"),
    ],
)
def test_cell_text(value: object, written: str) -> None:
    assert safe_row([value]) == [written]
