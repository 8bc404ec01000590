"""One money module: exact yuan text for every integer fen, and back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.money import fen_from_yuan, format_yuan, parse_yuan, yuan_from_fen, yuan_in_words


@pytest.mark.parametrize(
    ("fen", "grouped", "plain"),
    [
        (0, "0.00", "0.00"),
        (5, "0.05", "0.05"),
        (-1, "-0.01", "-0.01"),
        (-199, "-1.99", "-1.99"),
        (-100, "-1.00", "-1.00"),
        (123450, "1,234.50", "1234.50"),
        (10**15 + 7, "10,000,000,000,000.07", "10000000000000.07"),
    ],
)
def test_format_yuan(fen: int, grouped: str, plain: str) -> None:
    assert format_yuan(fen) == grouped
    assert format_yuan(fen, grouping=False) == plain


def test_minus_one_fen_is_not_minus_one_yuan_ninety_nine() -> None:
    """Regression: grantmaker.yuan_text printed -1 fen as '-1.99' (floor division)."""
    assert format_yuan(-1) == "-0.01"


def test_format_refuses_floats_and_shows_unknown() -> None:
    with pytest.raises(TypeError, match="integer fen"):
        format_yuan(1.5)  # type: ignore[arg-type]
    assert format_yuan(None) == "—"


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.50", 123450),
        ("1,234.5", 123450),
        ("0.05", 5),
        ("7", 700),
        ("-0.01", -1),
        ("+3.1", 310),
        ("１２.３", 1230),
        (" 1,000,000 ", 100_000_000),
    ],
)
def test_parse_yuan(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["1.234", "1e3", "", "十元", "1,23.00", "1.", "--1", "nan"])
def test_parse_yuan_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount in yuan"):
        parse_yuan(text)


def test_parse_yuan_can_refuse_negative_amounts() -> None:
    with pytest.raises(ValueError, match="must be 0 or more"):
        parse_yuan("-1.00", allow_negative=False)


@given(st.integers(min_value=-(10**18), max_value=10**18), st.booleans())
def test_round_trip(fen: int, grouping: bool) -> None:
    assert parse_yuan(format_yuan(fen, grouping=grouping)) == fen
    assert fen_from_yuan(yuan_from_fen(fen)) == fen


def test_fen_from_yuan_refuses_fractions_of_a_fen() -> None:
    assert fen_from_yuan(Decimal("969.80")) == 96980
    with pytest.raises(ValueError, match="fractions of a fen"):
        fen_from_yuan(Decimal("0.001"))


DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}


def read_capitals(text: str) -> int:
    """A reader of 大写 amounts written independently of yuan_in_words: back to fen."""

    def whole(part: str) -> int:
        if "亿" in part:
            left, _, right = part.rpartition("亿")
            return whole(left) * 10**8 + whole(right)
        if "万" in part:
            left, _, right = part.rpartition("万")
            return whole(left) * 10**4 + whole(right)
        value, digit = 0, 0
        for ch in part:
            if ch in DIGITS:
                digit = DIGITS[ch]
            else:
                value += digit * {"拾": 10, "佰": 100, "仟": 1000}[ch]
                digit = 0
        return value + digit

    yuan, _, cents = text.removesuffix("整").rpartition("元")
    jiao = DIGITS[cents[cents.index("角") - 1]] if "角" in cents else 0
    fen = DIGITS[cents[cents.index("分") - 1]] if "分" in cents else 0
    return whole(yuan) * 100 + jiao * 10 + fen


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (50, "伍角整"),
        (101, "壹元零壹分"),
        (1010, "壹拾元壹角整"),
        (1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (1_001_000, "壹万零壹拾元整"),
        (10_000_000_005, "壹亿元零伍分"),
        (10**12, "壹佰亿元整"),
        (100_000_001_000_000, "壹万亿零壹万元整"),
    ],
)
def test_yuan_in_words(fen: int, words: str) -> None:
    assert yuan_in_words(fen) == words
    assert read_capitals(words) == fen


@given(st.integers(min_value=0, max_value=10**17))
def test_yuan_in_words_reads_back_exactly(fen: int) -> None:
    words = yuan_in_words(fen)
    assert "零零" not in words and not words.startswith("零" if fen >= 100 else "\0")
    assert read_capitals(words) == fen


def test_yuan_in_words_refuses_what_is_not_integer_fen() -> None:
    with pytest.raises(TypeError, match="integer fen"):
        yuan_in_words(1.5)  # type: ignore[arg-type]
    assert yuan_in_words(-1_00) == "负壹元整"


@given(
    st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False, places=4)
    | st.integers(-(10**15), 10**15)
)
def test_grouping_digits_only_adds_separators(value: object) -> None:
    from huiqi.money import group_digits

    text = str(value)
    shown = group_digits(text)
    assert shown.replace(",", "") == text
    whole = shown.lstrip("-").split(".")[0]
    assert all(len(g) == 3 for g in whole.split(",")[1:]) and 1 <= len(whole.split(",")[0]) <= 3


def test_grouping_leaves_other_text_alone() -> None:
    from huiqi.money import group_digits

    assert group_digits("3000000.00") == "3,000,000.00"
    assert group_digits("573172.5205") == "573,172.5205"
    assert [group_digits(t) for t in ("1e5", "12 万", "", "—")] == ["1e5", "12 万", "", "—"]
