"""Empty rows of a Parquet file are skipped, as a CSV file's blank lines and a workbook's
empty rows are (QA, qa5): pandas writes a sheet's blank rows into Parquet as rows of
nulls, which were each refused as "a value is required" and counted among the rejects.
Both Parquet readers (DuckDB's, and the row-group reader a column's type sends the file
to) skip them and keep the other rows' line numbers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.parquet_empty import may_hold_empty_rows

A = uscc.make("91310115MA1H8R7C4")
B = uscc.make("91310104MA1K3T5D2")


def _file(path: Path, codes: list[str | None], dictionary: bool) -> Path:
    code = pa.array(codes, pa.string())
    table = pa.table(
        {
            "统一社会信用代码": code.dictionary_encode() if dictionary else code,
            "年度": pa.array([2025 if c else None for c in codes], pa.int32()),
            "年末参保人数": pa.array([12 if c else None for c in codes], pa.int64()),
        }
    )
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("dictionary", [False, True], ids=["duckdb", "row groups"])
def test_empty_rows_are_skipped_and_the_others_keep_their_lines(
    tmp_path: Path, dictionary: bool
) -> None:
    codes = [A, None, "bad", None, B, None, None]
    path = _file(tmp_path / "参保.parquet", codes, dictionary)
    report = import_file(Settings(tmp_path / "data"), path, mapping="social_insurance")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 2, 1)
    assert report.reader == ("recovering" if dictionary else "duckdb")
    assert len(report.messages) == 1 and report.messages[0].startswith(
        "参保.parquet, line 3, column '统一社会信用代码' (field 'uscc'): 'BAD'"
    ), report.messages


def test_a_blank_text_row_is_empty_too(tmp_path: Path) -> None:
    table = pa.table(
        {
            "统一社会信用代码": pa.array([A, "  ", None], pa.string()),
            "年度": pa.array([2025, None, None], pa.int32()),
            "年末参保人数": pa.array([12, None, None], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "参保.parquet")
    report = import_file(
        Settings(tmp_path / "data"), tmp_path / "参保.parquet", mapping="social_insurance"
    )
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (1, 1, 0)


def test_a_file_with_a_column_never_null_is_read_as_it_was(tmp_path: Path) -> None:
    """The footer rules empty rows out when a column has no null: nothing is filtered."""
    path = _file(tmp_path / "full.parquet", [A, B], False)
    assert not may_hold_empty_rows(path)
    assert may_hold_empty_rows(_file(tmp_path / "gaps.parquet", [A, None], False))
