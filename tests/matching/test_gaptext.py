"""The Chinese rendering of a gap (Gap.text_zh): Chinese words for the comparison,
Chinese units, money scaled to 万元/亿元, and a failing figure that never reads as met."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.matching.gaptext import gap_zh
from huiqi.matching.thresholds import Gap


def gap(actual: str, required: str, unit: str | None, op: str = ">=") -> Gap:
    return Gap(
        field="f",
        label_zh="研发投入占比" if unit == "%" else "营业收入",
        label_en="R&D share" if unit == "%" else "Revenue",
        year=2025,
        actual=Decimal(actual),
        required=Decimal(required),
        op=op,
        unit=unit,
        source="tax",
    )


@pytest.mark.parametrize(
    ("g", "zh", "en"),
    [
        (
            gap("2.80", "3", "%"),
            "研发投入占比 2.8 %，要求不低于 3 %",
            "R&D share 2.80 %, >= 3 % required",
        ),
        (
            gap("45000000.00", "50000000", "yuan"),
            "营业收入 4,500 万元，要求不低于 5,000 万元",
            "Revenue 45,000,000 yuan, >= 50,000,000 yuan required",
        ),
        (
            gap("149999999.50", "150000000", "yuan"),
            "营业收入 1.49 亿元，要求不低于 1.50 亿元",
            "Revenue 149,999,999.50 yuan, >= 150,000,000.00 yuan required",
        ),
        (gap("9000", "9500", "yuan"), "营业收入 9,000 元，要求不低于 9,500 元", None),
        (gap("900000", "1000000", "fen"), "营业收入 0.90 万元，要求不低于 1.00 万元", None),
        (gap("18", "20", "persons"), "营业收入 18 人，要求不低于 20 人", None),
        (
            gap("5100.5", "5000", "tce", "<="),
            "营业收入 5,100.5 吨标准煤，要求不高于 5,000 吨标准煤",
            None,
        ),
        (gap("3", "3", None, ">"), "营业收入 3，要求高于 3", None),
    ],
)
def test_gap_reads_in_chinese_words_and_units(g: Gap, zh: str, en: str | None) -> None:
    assert g.text_zh() == zh
    if en is not None:  # the English text is unchanged
        assert g.text_en() == en


@pytest.mark.parametrize(
    ("actual", "required", "op", "zh", "en"),
    [
        (
            "3985712.34",
            "4694000",
            ">",
            "营业收入 398.57 万元，要求高于 469.40 万元",
            "Revenue 3,985,712.34 yuan, > 4,694,000.00 yuan required",
        ),
        (
            "46940000",
            "39857123.4",
            "<",
            "营业收入 4,694.00 万元，要求低于 3,985.71 万元",
            "Revenue 46,940,000.00 yuan, < 39,857,123.40 yuan required",
        ),
        ("120000000", "150000000", ">=", "营业收入 1.20 亿元，要求不低于 1.50 亿元", None),
    ],
)
def test_a_figure_and_its_threshold_read_at_the_same_precision(
    actual: str, required: str, op: str, zh: str, en: str | None
) -> None:
    """Regression (qa4): "398.57 万元，要求高于 469.4 万元": the figure to the hundredth,
    its threshold with its trailing zero dropped, as if the two were of unlike precision."""
    g = gap(actual, required, "yuan", op)
    assert g.text_zh() == zh
    if en is not None:
        assert g.text_en() == en


def test_a_figure_just_short_never_reads_as_the_threshold() -> None:
    assert "4,999.99 万元" in gap_zh(
        "营业收入", Decimal("49999999.99"), Decimal(50_000_000), ">=", "yuan"
    )
    assert "5,000.01 万元" in gap_zh(
        "负债", Decimal("50000000.01"), Decimal(50_000_000), "<=", "yuan"
    )


@given(
    required=st.integers(min_value=1, max_value=10**14),
    short=st.integers(min_value=1, max_value=10**12),
    op=st.sampled_from([">=", "<="]),
)
def test_money_shown_fails_as_the_figure_fails(required: int, short: int, op: str) -> None:
    """Whatever the scale, the figure shown (in the threshold's unit) still fails the
    comparison the real figure fails: it is rounded away from the threshold."""
    req = Decimal(required) / 100
    actual = req - Decimal(short) / 100 if op == ">=" else req + Decimal(short) / 100
    text = gap_zh("营业收入", actual, req, op, "yuan")
    left, right = text.split("，要求")
    shown = Decimal(left.split(" ")[1].replace(",", ""))
    wanted = Decimal(right.split(" ")[1].replace(",", ""))
    unit = left.split(" ")[2]
    assert unit == right.split(" ")[2] and unit in ("元", "万元", "亿元")
    assert (shown < wanted) if op == ">=" else (shown > wanted)
    scale = {"元": 1, "万元": 10_000, "亿元": 100_000_000}[unit]
    # The threshold to the hundredth of its unit, on the side that still meets it.
    assert wanted.as_tuple().exponent >= -2
    gap = wanted * scale - req if op == ">=" else req - wanted * scale
    assert 0 <= gap < Decimal("0.01") * scale


def test_a_threshold_in_fen_reads_to_the_hundredth_of_its_unit() -> None:
    """Regression: R&D 'higher than the year before' (1,234,567.89 yuan) read
    '要求高于 123.456789 万元' on the enterprise's 'almost eligible' page."""
    text = gap_zh("研发费用", Decimal("1100000"), Decimal("1234567.89"), ">", "yuan")
    assert text == "研发费用 110.00 万元，要求高于 123.46 万元"
    text = gap_zh("负债", Decimal("1300000"), Decimal("1234567.89"), "<=", "yuan")
    assert text == "负债 130.00 万元，要求不高于 123.45 万元"
