"""Where a file's header is when it is not simply the first non-empty row: an office's
export often opens with a title ("2023年度企业纳税情况表", "12345热线工单导出") and a
unit line above its header, or spreads its header over two rows (group titles over
merged cells above sub-headers). The registry, hotline and complaint importers all
find their header here; :mod:`huiqi.profiles.readers` then reads the rows below it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from huiqi.profiles.readers import Source

Fitted = TypeVar("Fitted")


def header_below(
    source: Source,
    rows: list[tuple[int, list[str]]],
    fits: Callable[[list[str]], Fitted],
    refused: type[Exception],
) -> tuple[Source, Fitted] | None:
    """The file with its header on the first of ``rows`` (its ``header_rows``) below the
    first that ``fits`` accepts (raising ``refused`` for a row it does not), and what
    ``fits`` made of it; None when no row below fits. An export often opens with a title
    ("2023年度企业纳税情况表", "12345热线工单导出") above its header."""
    for i, (line, cells) in enumerate(rows[1:], start=1):
        try:
            fitted = fits(cells)
        except refused:
            continue
        return source.with_header(line, cells, rows[:i]), fitted
    return None


def with_fitting_header(
    source: Source, fits: Callable[[list[str]], Fitted], refused: type[Exception]
) -> tuple[Source, Fitted]:
    """The file with its header row and what ``fits`` made of it: the first non-empty
    row, or the first row below it that fits (:func:`header_below`). When none fits, the
    first row's refusal is raised: it names the columns the header lacks."""
    try:
        return source, fits(source.headers)
    except refused:
        if source.format == "parquet":
            raise
        found = header_below(source, source.header_rows(), fits, refused)
        if found is None:
            raise
        return found


def two_row_header(upper: tuple[int, list[str]], lower: tuple[int, list[str]]) -> list[str] | None:
    """The header of a sheet whose header takes two rows, or None when the rows do not
    look like one: group titles over merged cells ("参保" over "年末参保人数" and
    "实缴失业保险费(元)") above sub-headers, and the other columns' names merged down
    across both rows, so that the lower row is empty where the upper names a column.
    Each column is named by its lower cell, else by its upper one. A row of units under
    the header (营业收入 over 千元) names no column: it is not a lower header row."""
    from huiqi.profiles.unit_row import is_unit_row

    (upper_line, top), (lower_line, bottom) = upper, lower
    if lower_line != upper_line + 1 or is_unit_row(bottom):
        return None
    width = max(len(top), len(bottom))
    top = [*top, *[""] * (width - len(top))]
    bottom = [*bottom, *[""] * (width - len(bottom))]
    named_above_only = any(t.strip() and not b.strip() for t, b in zip(top, bottom, strict=True))
    named_below = any(b.strip() for b in bottom)
    if not (named_above_only and named_below):
        return None
    return [b if b.strip() else t for t, b in zip(top, bottom, strict=True)]
