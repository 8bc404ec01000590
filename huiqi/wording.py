"""Counts in sentences: the one helper the command line and the delivery summaries share.

Example:
    >>> counted(1, "new record"), counted(1_200, "enterprise"), counted(0, "entry", "entries")
    ('1 new record', '1,200 enterprises', '0 entries')
"""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless one: "1 policy", "3 policies", "0 errors"."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
