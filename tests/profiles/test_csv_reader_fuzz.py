"""Property tests of the CSV reader: whatever the bytes, no traceback; every good line is
kept with its cells, and every bad line is reported with its own line number."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.profiles.readers import Source, open_source

HEADER = ["统一社会信用代码", "企业名称", "备注"]
# Good cells: no quote, no delimiter, no line break, so a good line never contains a quote
# that could close a quote a bad line left open (that would be a real multi-line cell).
PLAIN = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 -._上海科技有限公司甲乙丙（）")),
    min_size=0,
    max_size=8,
)
GOOD = st.tuples(st.sampled_from(["上海", "浦东", "徐汇"]), PLAIN, PLAIN).map(
    lambda t: ("good", [t[0] + t[1].strip(), t[2], "ok"])
)
OPEN_QUOTE = st.tuples(PLAIN, PLAIN).map(lambda t: ("quote", f'{t[0]},"{t[1]}'))
TOO_WIDE = st.tuples(PLAIN, PLAIN).map(lambda t: ("wide", f"甲{t[0]},{t[1]},x,y"))
OTHER_ENCODING = PLAIN.map(lambda t: ("gbk", f"国标{t},乙,丙"))


def rows_of(source: Source) -> dict[int, tuple[int, str | None, list[str | None]]]:
    out: dict[int, tuple[int, str | None, list[str | None]]] = {}
    for batch in source.batches():
        data = batch.to_pydict()
        for i, line in enumerate(data["_line"]):
            assert line not in out, f"line {line} read twice"
            cells = [data[f"c{c}"][i] for c in range(len(source.headers))]
            out[line] = (data["_cells"][i], data["_problem"][i], cells)
    return out


def write(items: list[tuple[str, object]], encoding: str, ending: str) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / "market.csv"
    body = bytearray((",".join(HEADER) + ending).encode(encoding))
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM starts the file only
    for kind, content in items:
        if kind == "good":
            assert isinstance(content, list)
            body += (",".join(content) + ending).encode(encoding)
        elif kind == "gbk":
            body += (str(content) + ending).encode("gbk")
        else:
            body += (str(content) + ending).encode(encoding)
    path.write_bytes(bytes(body))
    return path


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(st.one_of(GOOD, GOOD, GOOD, OPEN_QUOTE, TOO_WIDE, OTHER_ENCODING), max_size=25),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_every_good_line_is_kept_and_every_bad_line_reported(
    items: list[tuple[str, object]], encoding: str, ending: str
) -> None:
    goods = sum(kind == "good" for kind, _ in items)
    # A line in another encoding is only "other" when most lines are UTF-8; in a GBK file,
    # UTF-8 bytes decode (as mojibake), so the case does not exist there.
    items = [(k, c) for k, c in items if k != "gbk" or (encoding != "gbk" and goods > 0)]
    while sum(k == "gbk" for k, _ in items) >= max(goods, 1):
        items.remove(next(i for i in items if i[0] == "gbk"))
    path = write(items, encoding, ending)

    source = open_source(path)
    found = rows_of(source)

    assert source.headers == HEADER
    for number, (kind, content) in enumerate(items, start=2):
        assert number in found, f"line {number} ({kind}) vanished"
        cells, problem, values = found[number]
        if kind == "good":
            assert (cells, problem, values) == (3, None, content)
        elif kind == "wide":
            assert problem is None and cells == 4
        elif kind == "quote":
            assert problem is not None and "a quote opens a cell at column" in problem
        else:
            assert problem is not None and problem.startswith("the line is not UTF-8")
    assert set(found) == set(range(2, len(items) + 2))


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(
        st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
        max_size=20,
    )
)
def test_random_bytes_never_raise_and_every_line_is_accounted_for(lines: list[bytes]) -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "market.csv"
    path.write_bytes(b"\n".join([",".join(HEADER).encode(), *lines]) + b"\n")

    source = open_source(path)
    found = rows_of(source)

    # Each reported line is a line of the file, past the header; every non-blank line
    # that is not part of another record shows up (blank ones are skipped).
    assert set(found) <= set(range(2, len(lines) + 2))
    for cells, problem, _values in found.values():
        assert problem is None or problem.strip()
        assert cells >= 0


MULTILINE = st.lists(PLAIN, min_size=1, max_size=3).map("\n".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(PLAIN, MULTILINE, MULTILINE), min_size=1, max_size=8),
    padding=st.integers(min_value=1, max_value=3),
    delimiter=st.sampled_from([",", ";", "\t"]),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_multiline_cells_are_kept_beside_trailing_empty_columns(
    rows: list[tuple[str, str, str]], padding: int, delimiter: str, ending: str
) -> None:
    """A header and rows ending in empty cells (a spreadsheet's export) took every row
    whose quoted cell spans lines for a quote left open, rejecting it and its lines."""
    folder = Path(tempfile.mkdtemp())
    path = folder / "market.csv"
    pad = delimiter * padding
    lines = [delimiter.join(HEADER) + pad]
    expected: dict[int, list[str | None]] = {}
    number = 2
    for first, name, remark in rows:
        cells = ["上海" + first.strip(), name, remark]
        expected[number] = list(cells)
        lines.append(delimiter.join(f'"{c}"' for c in cells) + pad)
        number += 1 + name.count("\n") + remark.count("\n")
    path.write_bytes((ending.join(lines) + ending).encode("utf-8"))

    found = rows_of(open_source(path))

    assert found == {n: (3, None, cells) for n, cells in expected.items()}
