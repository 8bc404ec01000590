"""The check pass's short way for plain rows gives every row what every rule gives it.

``rowcheck.build_checked`` sends a row whose amounts and counts are all plain digits
through a shorter SELECT (``checkselect``); with ``split=False`` every row goes through
every rule. Whatever the cells (plain, grouped, full-width, padded, with units,
exponents, control characters, out of range, empty), both must store the same parsed
values and reasons in ``_checked`` and the same ``_rejects``.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from huiqi.profiles import checkselect, rowcheck, uscc
from huiqi.profiles.dictionary import load_codelist, load_dictionary
from huiqi.profiles.mapping_finder import packaged_mappings
from huiqi.profiles.stagesql import create_stage

CODES = [uscc.make(f"91310115MA{i:07d}") for i in range(1, 6)]
# Mappings with one shortcut group (tax), several (statistics: counts, amounts,
# decimals), codes checked row by row (market, park) and tags.
MAPPINGS = ["tax", "statistics", "market", "park"]

NUMBER = st.one_of(
    st.sampled_from(
        [
            "", "0", "12", "-3", "+7", "007", "1234.5", "1234.50", "1234.567", "0.001",
            "1,234", "1,234.50", "12,34", "１２３", "１２３．５", "12e3", "1E5", "#N/A",
            "-", "无", "N/A", " 12", "12 ", "\u300012", "12\u00a0", "¥12", "12元", "3万元",
            "999999999999999", "9999999999999999", "99999999999999999999", "-0",
            "10000000000000", "10000000000001", "1\x002", "abc", "12.", ".5",
        ]
    ),
    st.text(alphabet="0123456789.,-+ e", max_size=8),
)  # fmt: skip
YEAR = st.sampled_from(
    [
        "2023",
        "２０２３",
        "2023年",
        "2023年度",
        "1979",
        "2090",
        "",
        " 2024",
        "2023\x0c年",
        "abcd",
        "23",
    ]
)
CODE = st.one_of(
    st.sampled_from(CODES),
    st.sampled_from(CODES).map(str.lower),
    st.sampled_from(CODES).map(lambda c: c[:17] + ("0" if c[17] != "0" else "1")),
    st.sampled_from(CODES).map(lambda c: f" {c}"),
    st.sampled_from(["", "合计", "x\x01"]),
)
DATE = st.sampled_from(
    ["2023-01-05", "2023/1/5", "20230105", "5/1/2023", "43831", "", "2023-02-30"]
)
BOOLEAN = st.sampled_from(["是", "否", "1", "0", "Y", "x", "", " 是"])
TEXT = st.text(alphabet=st.sampled_from(list("上海 a-b;\u3000\u00a0\x01")), max_size=6)


def cell(field: str) -> st.SearchStrategy[str | None]:
    d = load_dictionary()
    f = d.get(field)
    kind = f.type if f is not None else field
    if field == "uscc":
        base: st.SearchStrategy[str] = CODE
    elif field == "year":
        base = YEAR
    elif kind in ("integer", "money", "decimal"):
        base = NUMBER
    elif kind == "enum" and f is not None and f.codes is not None:
        codes = load_codelist(f.codes).codes
        texts = [*list(codes)[:4], *(str(e.get("zh", c)) for c, e in list(codes.items())[:2])]
        base = st.one_of(st.sampled_from(texts), TEXT)
    elif kind == "date":
        base = DATE
    elif kind == "boolean":
        base = BOOLEAN
    else:
        base = TEXT
    return st.one_of(base, base, base, st.none())


@st.composite
def staged(draw: st.DrawFn) -> tuple[str, list[str], list[list[object]]]:
    name = draw(st.sampled_from(MAPPINGS))
    mapping = packaged_mappings()[name]
    fields = list(dict.fromkeys(mapping.columns.values()))
    plain = st.sampled_from(["0", "12", "1234.5"])
    rows = []
    for line in range(2, 2 + draw(st.integers(min_value=1, max_value=12))):
        # Mostly plain rows, as a registry's are; some with anything in them.
        wild = draw(st.booleans())
        cells = [
            draw(cell(f))
            if wild
            or load_dictionary().get(f) is None
            or load_dictionary().field(f).type not in ("integer", "money", "decimal")
            else draw(plain)
            for f in fields
        ]
        width = draw(st.sampled_from([len(fields), len(fields), len(fields) + 1]))
        problem = draw(st.sampled_from([None, None, None, "the line is not in GBK"]))
        rows.append([line, width, problem, *cells])
    return name, fields, rows


def checked(con: duckdb.DuckDBPyConnection, name: str, fields: list[str], *, split: bool):
    mapping = packaged_mappings()[name]
    rowcheck.build_checked(con, mapping, fields, split=split)
    rowcheck.build_rejects(con, mapping, fields, len(fields))
    rows = con.execute("SELECT * FROM _checked ORDER BY _line").fetchall()
    rejects = con.execute("SELECT * FROM _rejects ORDER BY ALL").fetchall()
    return rows, rejects


# Each example builds both check passes for its mapping (about 2-4 s of SQL building on
# a slow 2-core host): 15 examples plus the explicit ones keep the suite's time in bounds.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(staged())
@example(("tax", *(lambda m: (m, [[2, len(m), None, CODES[0], "2024", *["1,000"] * 12, "A"]]))(
    list(dict.fromkeys(packaged_mappings()["tax"].columns.values()))
)))  # fmt: skip
def test_plain_rows_take_the_short_way_with_every_rules_result(
    case: tuple[str, list[str], list[list[object]]],
) -> None:
    name, fields, rows = case
    con = duckdb.connect()
    create_stage(con, fields)
    con.executemany(f"INSERT INTO _stage VALUES ({', '.join('?' * len(rows[0]))})", rows)

    full = checked(con, name, fields, split=False)
    short = checked(con, name, fields, split=True)

    assert short == full


def test_the_short_way_is_taken_only_when_split(monkeypatch) -> None:
    """Without this, the equality above would hold trivially: the plain rows' flag is in
    the SQL that runs when splitting, and absent when not."""
    statements: list[str] = []
    mapping = packaged_mappings()["tax"]
    fields = list(dict.fromkeys(mapping.columns.values()))
    con = duckdb.connect()
    create_stage(con, fields)
    real = rowcheck._temp_table

    def kept(name: str, select, *, view: bool = False) -> str:
        statements.append(real(name, select, view=view))
        return statements[-1]

    monkeypatch.setattr(rowcheck, "_temp_table", kept)
    for split in (True, False):
        rowcheck.build_checked(con, mapping, fields, split=split)
    made = [s for s in statements if "_checked AS" in s]
    assert [checkselect.PLAIN in s for s in made] == [True, False]


@pytest.mark.parametrize(
    ("name", "field", "text", "position"),
    [
        ("tax", "uscc", CODES[0] + "\x02", 19),  # checked once per distinct code
        ("market", "uscc", "\x02" + CODES[0], 1),  # checked row by row
        ("market", "district_code", "310115\x01", 7),
        ("tax", "tax_credit_rating", "A\x1b", 2),
        ("tax", "year", "2023\x0c年", 5),
    ],
)
def test_a_valid_text_with_a_control_character_is_refused_for_it(
    name: str, field: str, text: str, position: int
) -> None:
    """A valid code, listed enum text or plain year skips the control-character check;
    the same text with a control character in it must not pass for valid."""
    mapping = packaged_mappings()[name]
    fields = list(dict.fromkeys(mapping.columns.values()))
    row: list[object] = [2, len(fields), None]
    for f in fields:
        kind = load_dictionary().get(f)
        plain = {"uscc": CODES[1], "year": "2024", "tax_credit_rating": "A"}.get(f, "")
        if kind is not None and kind.type in ("integer", "money", "decimal"):
            plain = "12"
        row.append(text if f == field else plain)
    con = duckdb.connect()
    create_stage(con, fields)
    con.execute(f"INSERT INTO _stage VALUES ({', '.join('?' * len(row))})", row)

    rowcheck.build_checked(con, mapping, fields)

    found = con.execute(f'SELECT "{rowcheck.why(field)}" FROM _checked').fetchone()
    assert found is not None
    assert found[0] is not None and found[0].startswith(
        f"the value contains the control character U+{ord(next(c for c in text if c < ' ')):04X}"
        f" at character {position};"
    ), found
