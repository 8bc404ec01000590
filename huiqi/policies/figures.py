"""What to write instead of an amount of yuan written as a document writes it: ``4.8万``,
``1,000万``, ``48,000``, ``3%``. The policy loader says it of a ``cap`` or a ``budget``, and
a test case's profile of a money field (QA, qa7: ``revenue: 2000万`` read "'2000万' is not
a number", with nothing to write).

Example:
    >>> amount_hint("1,000万")
    'amounts in a policy file are plain numbers of yuan: write 10000000 for 1,000万'
"""

from __future__ import annotations

import re
from decimal import Decimal

_UNIT_FIGURE = re.compile(r"\s*([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)((?:\.[0-9]+)?)\s*(万|亿)元?\s*")


def amount_hint(value: object) -> str:
    """What to write instead of an amount that is not a plain number ('4.8万', '48,000')."""
    text = str(value).strip()
    unit = _UNIT_FIGURE.fullmatch(text)
    if unit:
        # 1,000万 too (QA, qa7: "e.g. 5000000 for 500万元" instead of its own figure).
        figure = Decimal(unit.group(1).replace(",", "") + unit.group(2))
        yuan = figure * (10_000 if unit.group(3) == "万" else 100_000_000)
        return (
            f"amounts in a policy file are plain numbers of yuan: write {yuan.normalize():f}"
            f" for {text}"
        )
    if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", text):
        return f"write the number without thousands separators: {text.replace(',', '')}"
    if text.endswith(("%", "％")):
        return (
            "amounts in a policy file are yuan, not percentages; a rate belongs in the formula"
            " (0.03 * revenue for 3 % of revenue)"
        )
    return "write an amount of yuan as plain digits, e.g. 5000000 for 500万元"
