"""The checks' shortcuts give every line the verdict the plain rules give it.

The import checks a yearly file's USCCs once per distinct code, trims only the cells
of rows that hold a blank somewhere, and parses each value once for all its checks;
whatever the codes and blanks, each line is still accepted or rejected with the reason
``uscc.validate`` gives, and stored values are the trimmed text.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.checkselect import BLANKS
from huiqi.profiles.importer import import_file

CODES = [uscc.make(f"91310115MA{i:07d}") for i in range(1, 6)]
BLANK = st.text(alphabet=st.sampled_from(list(BLANKS)), max_size=2)
# Blanks that keep a record on one line (the first test counts lines).
INLINE_BLANK = st.text(alphabet=st.sampled_from([b for b in BLANKS if b not in "\r\n"]), max_size=2)


@st.composite
def code_text(draw: st.DrawFn) -> str:
    """A USCC cell as registries write them: right, lower-case, padded, or broken."""
    code = draw(st.sampled_from(CODES))
    kind = draw(st.sampled_from(["right", "lower", "check digit", "short", "letter", "empty"]))
    text = {
        "right": code,
        "lower": code.lower(),
        "check digit": code[:17] + ("0" if code[17] != "0" else "1"),
        "short": code[:17],
        "letter": code[:9] + "O" + code[10:],
        "empty": "",
    }[kind]
    return draw(INLINE_BLANK) + text + draw(INLINE_BLANK)


def expected_reason(text: str) -> str | None:
    code = text.strip(BLANKS).upper()
    if not code:
        return "a value is required"
    try:
        uscc.validate(code)
    except uscc.USCCError as exc:
        return exc.message
    return None


def rejects(path: Path) -> dict[int, list[tuple[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        out.setdefault(int(row["line"]), []).append((row["field"], row["reason"]))
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(code_text(), INLINE_BLANK, st.sampled_from(["1000.5", "-3", "1,000", ""])),
        min_size=1,
        max_size=10,
    )
)
def test_each_line_of_a_yearly_file_gets_the_verdict_of_uscc_validate(
    rows: list[tuple[str, str, str]],
) -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "tax.csv"
    # One year per line: no two lines share a key, so only the cells decide.
    lines = [
        [code, f"{pad}{2000 + i}{pad}", revenue] for i, (code, pad, revenue) in enumerate(rows)
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["统一社会信用代码", "年度", "营业收入(元)"], *lines])
    data = Settings(folder / "data")

    report = import_file(data, path, mapping="tax")

    found = rejects(report.rejects_path)
    kept = []
    for number, (code, _, revenue) in enumerate(lines, start=2):
        reasons = dict(found.get(number, []))
        assert reasons.get("uscc") == expected_reason(code), (number, code)
        if expected_reason(code) is None and not reasons:
            kept.append((code.strip(BLANKS).upper(), 1998 + number, revenue))
    assert report.rows_rejected == len(found)
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        stored = con.execute(
            "SELECT uscc, year, CAST(revenue AS VARCHAR) FROM enterprise_years ORDER BY year"
        ).fetchall()
    assert [(c, y) for c, y, _ in stored] == [(c, y) for c, y, _ in kept]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(
        st.tuples(
            BLANK,
            st.text(alphabet=st.sampled_from(list("上海科技 a-b\u3000\u00a0")), max_size=6),
            BLANK,
        ),
        min_size=1,
        max_size=len(CODES),
    )
)
def test_cells_are_stored_without_the_blanks_around_them(
    names: list[tuple[str, str, str]],
) -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "market.csv"
    rows = [
        [code, before + name + after]
        for code, (before, name, after) in zip(CODES, names, strict=False)
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["统一社会信用代码", "企业名称"], *rows])
    data = Settings(folder / "data")

    import_file(data, path, mapping="market")

    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        stored = dict(con.execute("SELECT uscc, name FROM enterprises").fetchall())
    assert stored == {code: (name.strip(BLANKS) or None) for code, name in rows}
