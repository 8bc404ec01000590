"""Counts in sentences, and the closest known name to a mistyped one: the wording the
command line and the delivery summaries share.

Example:
    >>> counted(1, "new record"), counted(1_200, "enterprise"), counted(0, "entry", "entries")
    ('1 new record', '1,200 enterprises', '0 entries')
"""

from __future__ import annotations

from collections.abc import Iterable


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless one: "1 policy", "3 policies", "0 errors"."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """The known name closest to a mistyped ``name``, as " (did you mean 'x'?)"; "" when
    none is close.

    Example:
        >>> did_you_mean("sh-startup-2025", ["sh-startup-2026", "jd-hte-award-2026"])
        " (did you mean 'sh-startup-2026'?)"
    """
    import difflib  # only once a name is not known: every command imports this module

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
