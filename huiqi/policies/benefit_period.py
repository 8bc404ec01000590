"""A policy's ``benefit_period``: the period one grant covers, told apart as written.

Grants, exclusivity groups (就高不重复) and per-enterprise caps are counted per period by
its text, so a period written another way is another period: '2026年' or '2026 ' beside a
version or a group member that keeps the default '2026' (the year of ``valid_from``) would
pay an enterprise again. A year written any way but as four digits is refused.

Example:
    >>> check_benefit_period("2026-H1")
    '2026-H1'
    >>> check_benefit_period("2026年度")
    Traceback (most recent call last):
    ...
    ValueError: benefit_period '2026年度' is the year 2026 written another way; ...
"""

from __future__ import annotations

import re
import unicodedata

_YEAR_WORDS = re.compile(r"\s*(\d{4})\s*(?:年度|年)?\s*")


def check_benefit_period(value: str | None) -> str | None:
    """The period as written, when it is not a year written in another form than ``2026``."""
    if value is None:
        return None
    found = _YEAR_WORDS.fullmatch(unicodedata.normalize("NFKC", value))
    if found is not None and found.group(1) != value:
        raise ValueError(
            f"benefit_period '{value}' is the year {found.group(1)} written another way;"
            " periods are compared as written, so it would pay again what a version with the"
            " default period paid: write the year alone, in quotes"
        )
    return value
