"""Reading a bank's payment result file (CSV or xlsx): its header, wherever it stands in
the first rows and in English or Chinese, and its rows with their line numbers, a CSV
line that cannot be read costing only itself (as an import's: :mod:`huiqi.profiles.csvrecords`).
What the rows mean is :mod:`huiqi.delivery.payments`'s."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from huiqi.errors import ImportFileError, Location
from huiqi.profiles.csvrecords import records
from huiqi.profiles.textlines import Lines

HEADER_ALIASES = {
    "grant_id": ("grant_id", "grant", "补贴编号", "发放编号"),
    "result": ("result", "结果", "支付结果"),
    "reason": ("reason", "原因", "失败原因"),
    "paid_date": ("paid_date", "paid_on", "date", "支付日期"),
    "amount_yuan": ("amount_yuan", "amount", "金额", "金额(元)", "金额（元）"),
    "batch_id": ("batch_id", "batch", "批次", "批次号"),
}


class Broken(list[Any]):
    """A record that could not be read (no cells), with why."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


def read_table(path: Path) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        try:
            text, encoding = raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            text, encoding = raw.decode("gb18030"), "gb18030"
        first = next(csv.reader(io.StringIO(text.split("\n", 1)[0], newline="")), [])
        # As an import reads a CSV file: a quote never closed costs the line it opened on
        # (reported there), not the good lines after it (huiqi.profiles.csvrecords).
        found = records(Lines(io.BytesIO(raw), encoding), ",", len(first))
        head = next(found, None)
        header = head.cells if head is not None and head.problem is None else first
        return header, (
            (r.line, r.cells if r.problem is None else Broken(r.problem)) for r in found
        )
    if suffix == ".xlsx":
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.active
        if ws is None:
            raise ImportFileError("the workbook has no sheet", location=Location(file=str(path)))
        lines = ws.iter_rows(values_only=True)
        header = list(next(lines, ()))
        return header, ((n, list(row)) for n, row in enumerate(lines, start=2))
    raise ImportFileError(
        f"cannot read '{path.suffix}' files; expected a .csv or .xlsx payment result file",
        location=Location(file=str(path)),
    )


def _columns(path: Path, header: list[Any], line: int = 1) -> dict[str, int]:
    names = {str(h or "").strip().lower().replace(" ", "_"): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    for key, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[key] = names[alias]
                break
    missing = [k for k in ("grant_id", "result") if k not in found]
    if missing:
        raise ImportFileError(
            f"the header has no {' or '.join(missing)} column; expected at least grant_id and"
            " result (paid|failed), optionally reason, paid_date, amount_yuan, batch_id;"
            f" got {header}",
            location=Location(file=str(path), line=line),
        )
    return found


HEADER_ROWS = 10  # the rows that may hold the header, as a registry import tries


def header_columns(
    path: Path, header: list[Any], rows: Iterator[tuple[int, list[Any]]]
) -> dict[str, int]:
    """The columns of the file's header: its first row, or the first of the next non-empty
    rows that names grant_id and result, since a finance system's file may open with a
    title ("支付结果回盘") above the header; ``rows`` then goes on below it."""
    try:
        return _columns(path, header)
    except ImportFileError as first:
        tried = 1
        for line, values in rows:
            if all(cell_text(v) == "" for v in values):
                continue
            try:
                return _columns(path, values, line)
            except ImportFileError:
                tried += 1
                if tried >= HEADER_ROWS:
                    break
        raise first from None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
