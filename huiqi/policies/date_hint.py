"""What to write for a date a policy file gives in another form (QA, qa7).

A policy officer copies dates from the document: ``2027年1月1日``, ``2027/12/31``,
``2027.1.1``, or ``20270101``, which YAML reads as a number. The loader's refusal said
"write dates as YYYY-MM-DD, e.g. 2026-01-01" (and for the number, pydantic's "Datetimes
provided to dates should have zero time"); this works out the day meant.

Example:
    >>> date_hint("2027年1月1日")
    'write dates as YYYY-MM-DD: 2027-01-01 for 2027年1月1日'
    >>> date_hint("next spring")
    'write dates as YYYY-MM-DD, e.g. 2026-01-01'
"""

from __future__ import annotations

import datetime as dt
import re

_WRITTEN = re.compile(
    r"\s*(\d{4})\s*(?:年|/|\.|-)\s*(\d{1,2})\s*(?:月|/|\.|-)\s*(\d{1,2})\s*日?\s*"
)
_DIGITS = re.compile(r"\s*(\d{4})(\d{2})(\d{2})\s*")
GENERIC = "write dates as YYYY-MM-DD, e.g. 2026-01-01"


def day_meant(value: object) -> dt.date | None:
    """The day a date written in a document's form stands for, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    found = _WRITTEN.fullmatch(text) or _DIGITS.fullmatch(text)
    if found is None:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def date_hint(value: object) -> str:
    """The advice for a refused date: the day worked out, or the form to write."""
    day = day_meant(value)
    if day is None:
        return GENERIC
    return f"write dates as YYYY-MM-DD: {day.isoformat()} for {value}"
