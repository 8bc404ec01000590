"""A registry sheet's totals row (合计/总计/小计 in the name column, an empty USCC) is
refused as a totals row, not as "a value is required": it is still not imported and
still counted among the rejects. Before, a data steward was told a USCC was missing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

PUDONG = uscc.make("91310115MA1H8R7C4")
HEAD = ["统一社会信用代码", "企业名称", "注册资本(元)"]
PREFIX = "market.csv, line {line}, column '统一社会信用代码' (field 'uscc'): "
SKIPPED = ": it is not an enterprise and was skipped (not imported); nothing to fix"


def _import(folder: Path, rows: list[list[str]]):  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "market.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEAD, *rows])
    return import_file(Settings(folder / "data"), path, mapping="market")


@pytest.mark.parametrize(
    ("code", "name", "said"),
    [
        ("", "合计", "'合计' in column '企业名称', no USCC"),
        ("", "总计", "'总计' in column '企业名称', no USCC"),
        ("", " 小 计：", "'小计' in column '企业名称', no USCC"),
        ("合计", "", "'合计' in the USCC column"),
    ],
)
def test_a_totals_row_is_refused_as_a_totals_row(
    tmp_path: Path, code: str, name: str, said: str
) -> None:
    report = _import(tmp_path, [[PUDONG, "好公司", "100"], [code, name, "100"]])
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    assert report.messages == [
        PREFIX.format(line=3) + f"this row looks like a totals row ({said}){SKIPPED}"
    ]


def test_an_empty_uscc_beside_an_ordinary_name_is_still_a_missing_value(tmp_path: Path) -> None:
    report = _import(tmp_path, [["", "上海好公司", "100"]])
    assert report.messages == [PREFIX.format(line=2) + "a value is required"]


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    word=st.sampled_from(["合计", "总计", "小计", "共计"]),
    tail=st.text(alphabet="：:（）()万元 0123456789", max_size=6),
    other=st.text(alphabet="上海科技有限公司甲乙", min_size=1, max_size=8),
)
def test_totals_word_decides_the_reason(tmp_path: Path, word: str, tail: str, other: str) -> None:
    """A name starting with a totals word is a totals row whatever follows; any other name
    without a USCC is a missing value."""
    folder = tmp_path / f"{abs(hash((word, tail, other)))}"
    report = _import(folder, [["", word + tail, "1"], ["", other, "1"]])
    assert report.rows_rejected == 2 and report.rows_accepted == 0
    assert report.messages[0].startswith(
        PREFIX.format(line=2) + f"this row looks like a totals row ('{word}'"
    )
    assert report.messages[1] == PREFIX.format(line=3) + "a value is required"
