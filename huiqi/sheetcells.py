"""Cells of the CSV and Excel files huiqi writes, made safe to open in a spreadsheet.

A spreadsheet evaluates a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a leading tab or carriage return can smuggle one past a check (OWASP
"CSV injection"). Every cell of a file that may hold outside text (enterprise
names, rejected values, the registry's own headers) goes through
:func:`cell_text`, which puts an apostrophe in front of such a cell: Excel and
LibreOffice then show it as text, and a reader sees the original after the
apostrophe. Files huiqi reads back as data (the generated registry files) are not
escaped: they are inputs, not reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number alone ('-50', '+1,234.5') is read by a spreadsheet as that number and
# runs nothing: it is written as it is, so that a rejected row fixed and imported again
# carries the file's own text, not "'-50".
PLAIN_NUMBER = re.compile(r"[+-][0-9][0-9,]*(?:\.[0-9]+)?")


# The same rule for a file a database writes itself (DuckDB's COPY): a cell that starts as
# a formula would, unless it is a signed number alone (SQL regular expressions, passed as
# query parameters).
FORMULA_START_SQL = "^[=+@\t\r-]"
PLAIN_NUMBER_SQL = PLAIN_NUMBER.pattern


def cell_text(value: object) -> str:
    """The text of one cell, with an apostrophe in front if a spreadsheet would run it.

    >>> cell_text("=HYPERLINK(1)"), cell_text("\\t-1"), cell_text("上海某某科技有限公司")
    ("'=HYPERLINK(1)", "'\\t-1", '上海某某科技有限公司')
    >>> cell_text(None), cell_text(42), cell_text("-50"), cell_text("-1+1")
    ('', '42', '-50', "'-1+1")
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """Every cell of a row through :func:`cell_text`."""
    return [cell_text(v) for v in values]
