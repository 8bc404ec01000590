"""By how much a near miss misses, as the portal says it in each language (the ``gap``
of a trace's failing criterion, ``huiqi.matching.shortfall``): "short by 1,500,000 yuan",
"还差 150 万元" (money in Chinese scaled as its threshold, 万元 or 亿元), "over by 20
persons", "超出 20 人"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from huiqi.matching.gaptext import figure
from huiqi.matching.shortfall import amount_zh, gap_json
from huiqi.matching.thresholds import Gap
from huiqi.web import i18n
from huiqi.web.i18n import N_

SHORT = N_("short by %(amount)s")
OVER = N_("over by %(amount)s")
RISE = N_("must rise by more than %(amount)s")
FALL = N_("must come down by more than %(amount)s")
ABOVE = N_("level with the threshold: it must be above it")
BELOW = N_("level with the threshold: it must be below it")
POINTS = N_("percentage points")


def shortfall_filter(language: str, unit: Callable[..., str]) -> Callable[[Any], str]:
    """The ``shortfall`` filter: a gap's distance in words (``unit``: the ``unit`` filter
    of the same language, singular after exactly one)."""
    catalogue = i18n.translations(language)

    def amount(gap: Mapping[str, Any]) -> str:
        needed = Decimal(gap["shortfall"])
        if language != "en":
            return amount_zh(needed, gap.get("unit"), Decimal(gap["required"]))
        name = gap.get("unit")
        shown = catalogue.gettext(POINTS) if name == "%" else unit(name, needed) if name else ""
        return f"{figure(needed)} {shown}".strip()

    def shortfall(gap: Gap | Mapping[str, Any] | None) -> str:
        """``gap``: a trace criterion's ``gap`` (its JSON form) or a near miss's ``Gap``."""
        if not gap:
            return ""
        if isinstance(gap, Gap):
            gap = gap_json(gap)
        rise = gap["direction"] == "short"
        if gap["beyond"] and Decimal(gap["shortfall"]) == 0:
            return catalogue.gettext(ABOVE if rise else BELOW)
        if gap["beyond"]:
            return catalogue.gettext(RISE if rise else FALL) % {"amount": amount(gap)}
        return catalogue.gettext(SHORT if rise else OVER) % {"amount": amount(gap)}

    return shortfall
