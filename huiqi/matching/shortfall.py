"""By how much a near miss misses: the gap of its failing threshold as a figure.

A near miss's threshold (``thresholds.Gap``) says "营业收入 850 万元，要求不低于 1,000 万元";
this says the rest, the distance the enterprise has to cover, in the field's unit and
exact (Decimal, never float):

* ``>=`` and ``>``: short by it, "还差 150 万元" / "short by 1,500,000 yuan";
* ``<=`` and ``<``: over by it, "超出 20 人" / "over by 20 persons";
* a strict comparison of a figure that is not a whole count (revenue > 10,000,000 with
  8,500,000): the figure must move by *more than* it, "须增加超过 150 万元"; level
  with such a threshold, it must pass it ("与要求持平，须高于要求");
* a whole count (persons, items) against a strict threshold is measured to the nearest
  count that meets it: 320 employees against ``< 300`` are over by 21.

Money is shown as the gap's threshold is (万元 or 亿元 when that large,
``gaptext.money_scale``), rounded up to the hundredth so that covering the figure shown
always meets the threshold, and a gap of less than one such unit in 元 ("还差 1 元", not
"0.01 万元"); a ratio's gap is in percentage points. ``gap_json`` is the
form ``huiqi explain --json``, the API's explanation and the portal's pages read
(``gaps.with_gaps`` puts it on the failing criterion of a near miss's trace).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

from huiqi.matching.gaptext import CENT, UNITS_ZH, figure, money_scale
from huiqi.matching.thresholds import Gap

# Dictionary units counted one by one, in the singular: "short by 1 person".
ONE = {"persons": "person", "items": "item", "years": "year", "floors": "floor"}


def _up(value: Decimal) -> Decimal:
    """To the hundredth, rounded up: covering the figure shown covers the real one."""
    return value if value == value.quantize(CENT) else value.quantize(CENT, ROUND_CEILING)


def amount_zh(needed: Decimal, unit: str | None, required: Decimal) -> str:
    """The distance in Chinese units, money scaled as its threshold ``required`` is:
    "150 万元", "20 人", "0.2 个百分点"."""
    scale = money_scale(unit, required)
    if scale is not None and needed < scale[0]:
        # Less than one 万 (or 亿) short: in 元, exactly, not "0.01 万元" for 1 yuan.
        return f"{figure(_up(needed))} 元"
    if scale is not None:
        divisor, unit_zh = scale
        shown = _up(needed / divisor)
    else:
        unit_zh = "个百分点" if unit == "%" else UNITS_ZH.get(unit or "", unit or "")
        shown = needed
    return f"{figure(shown)} {unit_zh}" if unit_zh else figure(shown)


def amount_en(gap: Gap) -> str:
    """The distance in the field's unit: "1,500,000 yuan", "20 persons", "0.2 percentage
    points"."""
    unit = "percentage points" if gap.unit == "%" else gap.unit
    if unit in ONE and gap.needed == 1:
        unit = ONE[unit]
    return f"{figure(gap.needed)} {unit}" if unit else figure(gap.needed)


def level(gap: Gap) -> bool:
    """Exactly at a strict threshold it must pass (revenue 10,000,000, > 10,000,000)."""
    return gap.beyond and gap.needed == 0


def shortfall_zh(gap: Gap) -> str:
    if level(gap):
        return "与要求持平，须高于要求" if gap.must_rise else "与要求持平，须低于要求"
    amount = amount_zh(gap.needed, gap.unit, gap.required)
    if gap.beyond:
        return f"须{'增加' if gap.must_rise else '减少'}超过 {amount}"
    return f"{'还差' if gap.must_rise else '超出'} {amount}"


def shortfall_en(gap: Gap) -> str:
    if level(gap):
        return f"level with the threshold: it must be {'above' if gap.must_rise else 'below'} it"
    if gap.beyond:
        return f"must {'rise' if gap.must_rise else 'come down'} by more than {amount_en(gap)}"
    return f"{'short' if gap.must_rise else 'over'} by {amount_en(gap)}"


def gap_json(gap: Gap) -> dict[str, Any]:
    """The gap as the trace's JSON carries it on the failing criterion (decimals are exact
    strings in the field's unit, yuan for money, per cent for a ratio)::

        {"field": "revenue", "year": 2025, "unit": "yuan", "op": ">=",
         "actual": "8500000.00", "required": "10000000",
         "shortfall": "1500000.00", "direction": "short", "beyond": false,
         "text": {"zh": "营业收入 850 万元，要求不低于 1,000 万元，还差 150 万元",
                  "en": "Revenue 8,500,000 yuan, >= 10,000,000 yuan required: short by
                         1,500,000 yuan"}}
    """
    return {
        "field": gap.field,
        "year": gap.year,
        "unit": gap.unit,
        "op": gap.op,
        "actual": str(gap.actual),
        "required": str(gap.required),
        "shortfall": str(gap.needed),
        "direction": gap.direction,
        "beyond": gap.beyond,
        "text": {
            "zh": f"{gap.text_zh()}，{shortfall_zh(gap)}",
            "en": f"{gap.text_en()}: {shortfall_en(gap)}",
        },
    }
