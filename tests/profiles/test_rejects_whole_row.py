"""rejects.csv keeps every cell of a rejected row, the columns the mapping ignores
included, under the file's own header and in its order, so that a data steward can fix
the row and import it again as it is (CSV in UTF-8 and GBK, xlsx, Parquet)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

PUDONG = uscc.make("91310115MA1H8R7C4")
BAD = "91310115MA1H8R7C42"  # wrong check character
# 纳税人名称 is ignored by the tax mapping; it stands between imported columns.
HEADER = ["统一社会信用代码", "纳税人名称", "年度", "营业收入(元)"]
ROWS = [
    [PUDONG, "上海浦东某科技有限公司", "2023", "1000.5"],
    [BAD, "上海某某贸易有限公司", "2023", "2"],
    [PUDONG[:-1] + "X", "上海某某咨询有限公司", "2023", "3"],
]
FIXED = ["file", "line", "column", "field", "value", "reason"]


def _csv(path: Path, encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADER, *ROWS])
    path.write_bytes(buffer.getvalue().encode(encoding))


def _xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [HEADER, *ROWS]:
        ws.append(row)
    wb.save(path)


def _parquet(path: Path) -> None:
    columns = list(zip(*ROWS, strict=True))
    pq.write_table(
        pa.table(
            {
                HEADER[0]: list(columns[0]),
                HEADER[1]: list(columns[1]),
                HEADER[2]: pa.array([int(y) for y in columns[2]], pa.int32()),
                HEADER[3]: list(columns[3]),
            }
        ),
        path,
    )


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("tax.csv", lambda p: _csv(p, "utf-8")),
        ("tax_gbk.csv", lambda p: _csv(p, "gbk")),
        ("tax.xlsx", _xlsx),
        ("tax.parquet", _parquet),
    ],
)
def test_a_rejected_row_keeps_the_cells_the_mapping_ignores(tmp_path: Path, name, write):  # type: ignore[no-untyped-def]
    """Regression (qa9): the columns the mapping does not import (纳税人名称 here) were
    left out of rejects.csv, so a fixed row could not be imported again as it was."""
    path = tmp_path / name
    write(path)

    report = import_file(Settings(tmp_path / "data"), path, mapping="tax")

    assert (report.rows_accepted, report.rows_rejected) == (1, 2)
    with open(report.rejects_path, encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == [*FIXED, *HEADER]
    first = 1 if name.endswith(".parquet") else 2  # Parquet: row index + 1
    assert [r[1] for r in rows] == [str(first + 1), str(first + 2)]
    assert [r[len(FIXED) :] for r in rows] == ROWS[1:]
