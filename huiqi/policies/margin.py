"""A criterion's ``margin`` (docs/policies.md §5.1): how far from its threshold an
enterprise still counts as a near miss, a percentage of the threshold, or 0 for never."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_PERCENT = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,4})?)\s*%\s*$")


def parse_margin(value: Any) -> Any:
    """A criterion's ``margin``: ``"10%"`` (a share of its threshold) or ``0`` (never).

    Example:
        >>> parse_margin("12.5%"), parse_margin(0)
        (Decimal('0.125'), Decimal('0'))
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"margin must be a percentage such as '10%', or 0, not {value}")
    if isinstance(value, int | float | Decimal) and value == 0:
        return Decimal(0)
    if isinstance(value, int | float | Decimal) and 0 < value <= 100:
        # margin: 0.1 (a fraction) or margin: 10 (the % left out): say which percentage to
        # write, not "not Decimal('0.1')".
        number = Decimal(str(value))
        percent = (number * 100 if number < 1 else number).normalize()
        raise ValueError(
            f"margin must be a percentage of the threshold such as '10%', or 0 for never a"
            f" near miss, not {number}: write {percent:f}%"
        )
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if match is None and isinstance(value, str) and _PERCENT.match(value.replace("％", "%")):
        # margin: 10％ (QA, qa7): the input method's full-width sign, refused with no advice.
        raise ValueError(
            f"margin must be a percentage of the threshold such as '10%', or 0 for never a"
            f" near miss, not {value!r}: write {value.replace('％', '%').strip()} with an ASCII"
            " '%' ('％' is full-width)"
        )
    if match is None:
        shown = str(value) if isinstance(value, int | float | Decimal) else repr(value)
        raise ValueError(
            f"margin must be a percentage of the threshold such as '10%', or 0 for never a"
            f" near miss, not {shown}"
        )
    share = Decimal(match.group(1)) / 100
    if share > 1:
        raise ValueError(f"margin is at most 100%, not {value!r}")
    return share
