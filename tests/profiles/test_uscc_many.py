"""Codes checked in NumPy (``uscc_many``) accept exactly what the SQL check accepts."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.profiles import uscc, uscc_many
from huiqi.profiles.cellchecks import uscc_ok
from huiqi.profiles.checkselect import cell_text
from huiqi.profiles.sqlexpr import col, sql
from huiqi.profiles.uscc import make
from huiqi.profiles.uscc_many import valid_many

VALID = uscc.make("91310115MA1H8R7C4")


def mutated(code: str, draw: st.DrawFn) -> str:
    """A valid code with one change a registry file shows: a character replaced, dropped,
    doubled, lower-cased or padded."""
    i = draw(st.integers(0, len(code) - 1))
    how = draw(st.sampled_from(["replace", "drop", "double", "lower", "pad", "same"]))
    if how == "replace":
        ch = draw(st.sampled_from([*uscc.ALPHABET, *"IOSVZa０-é\x00 "]))
        return code[:i] + ch + code[i + 1 :]
    if how == "drop":
        return code[:i] + code[i + 1 :]
    if how == "double":
        return code[:i] + code[i] + code[i:]
    if how == "lower":
        return code.lower()
    if how == "pad":
        return draw(st.sampled_from([" ", "\u3000", "\t", ""])) + code + " "
    return code


@st.composite
def texts(draw: st.DrawFn) -> str | None:
    kind = draw(st.sampled_from(["valid", "mutated", "random", "none", "empty"]))
    if kind == "none":
        return None
    if kind == "empty":
        return draw(st.sampled_from(["", " ", "\u3000"]))
    body = "".join(draw(st.lists(st.sampled_from(uscc.ALPHABET), min_size=17, max_size=17)))
    prefix = draw(st.sampled_from([*sorted(uscc.KNOWN_PREFIXES), "99", "1A"]))
    code = uscc.make(prefix + body[2:])
    if kind == "valid":
        return code
    if kind == "mutated":
        return mutated(code, draw)
    return draw(st.text(alphabet=[*uscc.ALPHABET, *"IOZ é中"], min_size=16, max_size=19))


def sql_verdicts(values: list[str | None]) -> list[bool]:
    """What the SQL check gives each staged text, read as the checks read it."""
    with duckdb.connect() as con:
        con.register("staged", pa.table({"i": list(range(len(values))), "code": values}))
        text = cell_text("uscc", col("code"), None)
        rows = con.execute(f"SELECT {sql(uscc_ok(text))} FROM staged ORDER BY i").fetchall()
    return [bool(r[0]) for r in rows]


def numpy_verdicts(values: list[str | None]) -> list[bool]:
    with duckdb.connect() as con:
        con.register("staged", pa.table({"i": list(range(len(values))), "code": values}))
        text = cell_text("uscc", col("code"), None)
        table = con.sql(f"SELECT {sql(text)} AS t FROM staged ORDER BY i").to_arrow_table()
    return [bool(v) for v in valid_many(table["t"])]


@settings(max_examples=60, deadline=None)
@given(st.lists(texts(), min_size=1, max_size=40))
def test_numpy_check_agrees_with_sql_check(values: list[str | None]) -> None:
    assert numpy_verdicts(values) == sql_verdicts(values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VALID, True),
        (VALID.lower(), True),  # the checks read it upper-cased
        (f" {VALID}\u3000", True),  # and trimmed
        (VALID[:17] + ("0" if VALID[17] != "0" else "1"), False),  # wrong check character
        ("99" + VALID[2:17], False),
        (uscc.make("99310115MA1H8R7C4"), False),  # an unknown prefix
        (uscc.make("913101A5MA1H8R7C4"), False),  # a letter in the region code
        (VALID[:17], False),
        (VALID.replace("M", "Ｍ"), False),  # full-width: 20 bytes
        (None, False),
        ("", False),
    ],
)
def test_each_kind_of_code(text: str | None, expected: bool) -> None:
    assert numpy_verdicts([text]) == sql_verdicts([text]) == [expected]


def test_a_chunked_column_and_no_code_of_the_right_length() -> None:
    chunked = pa.chunked_array([[VALID, None], ["", VALID[:17], VALID]])
    assert valid_many(chunked).tolist() == [True, False, False, False, True]
    assert valid_many(pa.array(["short", None])).tolist() == [False, False]


def test_codes_are_checked_in_chunks_with_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: the 3.5 million codes of a city's tax file, checked at once, took 1.4 GB
    beside DuckDB's own and the import past its 2 GB peak. Chunks (a slice's offsets
    into the shared buffers included) give the same answers as one pass."""
    codes = [make(f"91310115MA{i:07d}") for i in range(2_500)]
    codes[7] = "x"  # another length: never reaches a chunk
    codes[1_000] = codes[1_000][:-1] + ("0" if codes[1_000][-1] != "0" else "1")
    texts = pa.array(codes)
    whole = uscc_many.valid_many(texts)
    monkeypatch.setattr(uscc_many, "CHUNK", 333)
    assert (uscc_many.valid_many(texts) == whole).all()
    assert whole.sum() == 2_498 and not whole[7] and not whole[1_000]
