"""DuckDB's own reading (the fast path) and the recovering readers store the same data and
report the same rejects, whatever the file; the fast path is taken exactly when the file
has nothing that needs recovering."""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import faststage, uscc
from huiqi.profiles.import_report import ImportReport
from huiqi.profiles.importer import import_file

HEADER = ["统一社会信用代码", "企业名称", "注册资本(元)"]
CODES = [uscc.make(f"91310115MA{i:07d}") for i in range(1, 9)]
NAME = st.text(alphabet=st.sampled_from(list("abcXYZ019 -._上海科技有限公司（）")), max_size=8)
CAPITAL = st.sampled_from(["", "0", "1000", "1000.5", "12.345", "1,000", "1e5", "-3", " 7 "])

# (kind, text of the line without its ending); kinds in BREAKING send the file to the
# recovering reader, the others keep it plain.
GOOD = st.tuples(st.sampled_from(CODES), NAME, CAPITAL).map(lambda t: ("row", [t[0], t[1], t[2]]))
LOWER = st.tuples(st.sampled_from(CODES), NAME).map(lambda t: ("row", [t[0].lower(), t[1], "1"]))
BAD_CODE = NAME.map(lambda n: ("row", ["91310115MA1H8R7C42", n, "1"]))
QUOTED = st.tuples(st.sampled_from(CODES), NAME).map(lambda t: ("row", [t[0], f"{t[1]},甲", "2"]))
EMPTY = st.just(("row", ["", "", ""]))
OPEN_QUOTE = st.sampled_from(CODES).map(lambda c: ("broken", f'{c},"unclosed,1'))
TOO_WIDE = st.sampled_from(CODES).map(lambda c: ("broken", f"{c},甲,1,x"))
TOO_NARROW = st.sampled_from(CODES).map(lambda c: ("broken", f"{c},甲"))
SPACE_QUOTE = st.sampled_from(CODES).map(lambda c: ("broken", f'{c}, "甲",1'))
NUL = st.sampled_from(CODES).map(lambda c: ("broken", f"{c},甲\x00乙,1"))
BLANK_LINE = st.just(("broken", ""))
OTHER_ENCODING = st.sampled_from(CODES).map(lambda c: ("gbk", f"{c},国标,1"))
ITEMS = st.one_of(
    GOOD, GOOD, GOOD, LOWER, BAD_CODE, QUOTED, EMPTY, OPEN_QUOTE, TOO_WIDE, TOO_NARROW,
    SPACE_QUOTE, NUL, BLANK_LINE, OTHER_ENCODING,
)  # fmt: skip


def write(items: list[tuple[str, object]], encoding: str, ending: str, pad: bool) -> Path:
    path = Path(tempfile.mkdtemp()) / "market.csv"
    plain = "utf-8" if encoding == "utf-8-sig" else encoding
    body = bytearray(((",".join(HEADER) + ("," if pad else "")) + ending).encode(encoding))
    for kind, content in items:
        if kind == "row":
            assert isinstance(content, list)
            cells = [f'"{c}"' if "," in c else c for c in content]
            text = ",".join(cells) + ("," if pad else "")
        else:
            text = str(content)
        body += (text + ending).encode("gbk" if kind == "gbk" else plain)
    path.write_bytes(bytes(body))
    return path


def outcome(report: ImportReport, settings: Settings) -> dict[str, object]:
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        stored = con.execute(
            "SELECT uscc, name, registered_capital FROM enterprises ORDER BY uscc"
        ).fetchall()
    files = {}
    for path in (report.rejects_path, report.normalised_path):
        assert path is not None
        with open(path, encoding="utf-8-sig", newline="") as fh:
            files[path.name] = list(csv.reader(fh))
    counts = (report.rows_read, report.rows_accepted, report.rows_rejected, report.rows_changed)
    return {"stored": stored, "counts": counts, "messages": report.messages, **files}


def both(path: Path) -> tuple[ImportReport, dict[str, object], ImportReport, dict[str, object]]:
    fast_settings = Settings(Path(tempfile.mkdtemp()) / "fast")
    slow_settings = Settings(Path(tempfile.mkdtemp()) / "slow")
    fast = import_file(fast_settings, path)
    slow = import_file(slow_settings, path, fast=False)
    return fast, outcome(fast, fast_settings), slow, outcome(slow, slow_settings)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(ITEMS, min_size=1, max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    ending=st.sampled_from(["\n", "\r\n"]),
    pad=st.booleans(),
)
def test_fast_path_and_recovering_reader_give_the_same_import(
    items: list[tuple[str, object]], encoding: str, ending: str, pad: bool
) -> None:
    rows = sum(kind == "row" for kind, _ in items)
    # A line in another encoding is one only in a file that is mostly UTF-8.
    if encoding == "gbk" or rows == 0:
        items = [(k, c) for k, c in items if k != "gbk"]
    while sum(k == "gbk" for k, _ in items) >= max(rows, 1):
        items.remove(next(i for i in items if i[0] == "gbk"))
    path = write(items, encoding, ending, pad)

    fast, fast_outcome, slow, slow_outcome = both(path)

    assert slow.reader == "recovering"
    # A space beside a quote (a quoted name starting with a space) is read alike by both,
    # but the shape scan leaves such files to the recovering reader.
    spaced = any(pair in path.read_bytes() for pair in (b' "', b'" '))
    breaking = spaced or any(kind in ("broken", "gbk") for kind, _ in items)
    assert fast.reader == ("recovering" if breaking else "duckdb"), items
    assert fast_outcome == slow_outcome


def test_fast_path_reads_a_plain_gbk_file_with_its_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "market.csv"
    lines = [",".join(HEADER), f"{CODES[0]},甲公司,100", f'{CODES[1]},乙公司,"1,0"', ",,"]
    lines.append(f"{CODES[2]},丙公司,5")
    path.write_bytes("\r\n".join(lines).encode("gbk"))

    fast, fast_outcome, _, slow_outcome = both(path)

    assert (fast.reader, fast.encoding) == ("duckdb", "gb18030")
    assert fast_outcome == slow_outcome
    assert fast.rows_read == 3  # the empty row (line 4) is not a row
    assert fast.messages[0].startswith("market.csv, line 3, column '注册资本(元)'")
    assert fast_outcome["stored"] == [
        (CODES[0], "甲公司", Decimal("100.00")),
        (CODES[2], "丙公司", Decimal("5.00")),
    ]


def test_fast_path_reads_parquet_types_as_the_row_group_reader_does(tmp_path: Path) -> None:
    path = tmp_path / "market.parquet"
    table = pa.table(
        {
            "统一社会信用代码": CODES[:4],
            "企业名称": ["甲", None, "丙", "丁"],
            "注册资本(元)": pa.array([0.1 + 0.2, 12.0, None, 1e16], pa.float64()),
            "成立日期": pa.array(
                [dt.datetime(2020, 1, 2), dt.datetime(2021, 3, 4, 5, 6), None, None],
                pa.timestamp("us"),
            ),
        }
    )
    pq.write_table(table, path, row_group_size=2)

    fast, fast_outcome, _, slow_outcome = both(path)

    assert fast.reader == "duckdb"
    assert fast_outcome == slow_outcome
    assert fast_outcome["counts"] == (4, 2, 2, 2)


def test_parquet_column_that_arrow_reads_differently_goes_to_the_row_group_reader(
    tmp_path: Path,
) -> None:
    """A duration is stored as an integer that only Arrow's metadata turns back into a
    duration; DuckDB would read the integer."""
    path = tmp_path / "market.parquet"
    table = pa.table(
        {
            "统一社会信用代码": CODES[:2],
            "企业名称": pa.array([1, 2], pa.duration("s")),
        }
    )
    pq.write_table(table, path)

    fast, fast_outcome, _, slow_outcome = both(path)

    assert fast.reader == "recovering"
    assert fast_outcome == slow_outcome


def test_the_blank_characters_looked_for_are_all_of_pythons_whitespace() -> None:
    """The fast path's empty-row test looks for whitespace below SPACES_BELOW only."""
    everywhere = tuple(c for c in range(sys.maxunicode + 1) if chr(c).isspace())

    assert faststage._spaces() == everywhere


def test_a_utf8_header_decides_over_gbk_rows(tmp_path: Path) -> None:
    # Found by the property above: the one UTF-8 line (the header) was outvoted by two
    # GBK rows, the file read as GBK, and its header refused: nothing imported.
    path = tmp_path / "market.csv"
    body = (",".join(HEADER) + "\n,,\n").encode("utf-8")
    body += f"{CODES[0]},国标,1\n{CODES[1]},国标,1\n".encode("gbk") + f"{CODES[0]},,\n".encode()
    path.write_bytes(body)

    fast, fast_outcome, _, slow_outcome = both(path)

    assert fast.encoding == "utf-8"
    assert fast_outcome == slow_outcome
    assert fast.rows_rejected == 2 and "line 3" in fast.messages[0]
