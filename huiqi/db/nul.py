"""PostgreSQL cannot hold a NUL character (U+0000) in text, not even as a parameter to
compare with: psycopg refuses the statement with a DataError, which reached users as a
server error from any query string, path or form field that carried ``%00``. Here a
statement whose parameters hold one is refused before it is sent, as bad input that says
what is wrong (a HuiqiError: a 400 on the web, exit 1 on the command line)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from huiqi.errors import HuiqiError


class NulInText(HuiqiError):
    """A value holds a NUL character, which PostgreSQL cannot store or compare."""


def _has_nul(value: Any) -> bool:
    return type(value) is str and "\x00" in value


def _row_has_nul(row: Any) -> bool:
    if isinstance(row, Mapping):
        return any(_has_nul(v) for v in row.values())
    if isinstance(row, Sequence) and not isinstance(row, str | bytes):
        return any(_has_nul(v) for v in row)
    return _has_nul(row)


def refuse_nul(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """``before_cursor_execute`` listener: NulInText for a NUL in any text parameter."""
    if parameters is None:
        return
    rows = parameters if executemany else (parameters,)
    if any(_row_has_nul(row) for row in rows):
        raise NulInText(
            "a value holds a NUL character (\\x00), which the database cannot hold; remove it"
        )
