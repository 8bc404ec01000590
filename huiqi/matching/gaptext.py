"""A gap in Chinese, as a person in an enterprise reads it: "研发费用占营业收入比例 2.8 %，
要求不低于 3 %", "营业收入 4,500 万元，要求不低于 5,000 万元", "研发人员 18 人，要求不低于 20 人".

Money is shown in 万元 (or 亿元 from 一亿 up) when the threshold is that large, scaled
exactly with Decimal; the enterprise's own figure is rounded to the hundredth *away*
from the threshold, so a figure that fails never reads as if it met it (4,999.999 万元
reads 4,999.99, not 5,000), and the threshold to the hundredth on the side that still
meets it; the two amounts are written at the same precision (398.57 万元 against 469.40
万元, not 469.4). Other units get their Chinese names (人, 项, 年 …).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

# The comparison that must hold, in words: actual OP required.
OPS_ZH = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于"}
# Dictionary units (huiqi/profiles/dictionary.yaml) in Chinese; money is scaled below.
UNITS_ZH = {
    "%": "%",
    "persons": "人",
    "items": "项",
    "years": "年",
    "floors": "层",
    "m": "米",
    "tce": "吨标准煤",
}
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
CENT = Decimal("0.01")


def money_scale(unit: str | None, required: Decimal) -> tuple[Decimal, str] | None:
    """(divisor to yuan-multiples, unit text) for a money unit, else None."""
    if unit not in ("yuan", "fen"):
        return None
    per_yuan = Decimal(100) if unit == "fen" else Decimal(1)
    in_yuan = abs(required) / per_yuan
    if in_yuan >= YI:
        return per_yuan * YI, "亿元"
    if in_yuan >= WAN:
        return per_yuan * WAN, "万元"
    return per_yuan, "元"


def figure(value: Decimal) -> str:
    """An exact figure with thousands separators, no exponent, no trailing zeros."""
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _places(value: Decimal) -> int:
    """How many decimals ``value`` is written with, trailing zeros left out."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def figures(actual: Decimal, required: Decimal) -> tuple[str, str]:
    """Two amounts of one comparison written at the same precision, exactly (Decimal): the
    more decimals of the two, for both, and two when either has any (amounts are to the
    hundredth: 0.90 万元, not 0.9). Regression (qa4): "398.57 万元，要求高于 469.4
    万元" read as if the threshold were less precise than the figure; it is 469.40 万元."""
    places = max(_places(actual), _places(required))
    places = max(places, 2) if places else 0  # money: whole, or to the fen (hundredth)
    step = Decimal(1).scaleb(-places)
    return figure_at(actual.quantize(step), places), figure_at(required.quantize(step), places)


def figure_at(value: Decimal, places: int) -> str:
    """An exact figure with thousands separators and exactly ``places`` decimals."""
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and not value else text


def away_from(actual: Decimal, op: str) -> Decimal:
    """``actual`` to the hundredth, rounded away from a threshold it fails."""
    if actual == actual.quantize(CENT):
        return actual
    return actual.quantize(CENT, rounding=ROUND_FLOOR if op in (">=", ">") else ROUND_CEILING)


def toward(required: Decimal, op: str) -> Decimal:
    """``required`` to the hundredth, rounded so that a figure reaching the shown value
    meets the real one (a year-before figure of 1,234,567.89 元 reads 123.46 万元 in
    "要求高于", not 123.456789)."""
    if required == required.quantize(CENT):
        return required
    return required.quantize(CENT, rounding=ROUND_CEILING if op in (">=", ">") else ROUND_FLOOR)


def gap_zh(label: str, actual: Decimal, required: Decimal, op: str, unit: str | None) -> str:
    """``label actual unit，要求 OP required unit`` in Chinese words and units."""
    scale = money_scale(unit, required)
    if scale is not None:
        divisor, unit_zh = scale
        have, want = figures(away_from(actual / divisor, op), toward(required / divisor, op))
    else:
        unit_zh = UNITS_ZH.get(unit or "", unit or "")
        have, want = figure(actual), figure(required)
    sep = " " if unit_zh else ""
    need = OPS_ZH.get(op, op)
    return f"{label} {have}{sep}{unit_zh}，要求{need} {want}{sep}{unit_zh}"
