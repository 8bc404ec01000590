"""Money: integer fen in, exact yuan text out, and back. One module, used everywhere.

Public money never passes through a float. Amounts are held as integer fen
(1 yuan = 100 fen); this module is the one place that turns them into text for
people and files, and the one place that reads yuan text back.

>>> format_yuan(123456789), format_yuan(-1), format_yuan(5, grouping=False)
('1,234,567.89', '-0.01', '0.05')
>>> parse_yuan("1,234.5"), parse_yuan("-0.01"), parse_yuan("１２.３")
(123450, -1, 1230)
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

FEN_PER_YUAN = 100
_YUAN = re.compile(r"^([+-]?)(\d+)(?:\.(\d{1,2}))?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def format_yuan(fen: int | None, *, grouping: bool = True, missing: str = "—") -> str:
    """Fen as yuan with exactly two decimals, by integer arithmetic.

    Negative amounts keep their sign on the whole amount (−1 fen is ``-0.01``,
    never ``-1.99``). ``grouping`` adds thousands separators; files meant for
    other systems use ``grouping=False``. ``None`` (an unknown amount) gives
    ``missing``.

    >>> format_yuan(-199), format_yuan(100_000_00), format_yuan(None)
    ('-1.99', '100,000.00', '—')
    """
    if fen is None:
        return missing
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"amounts are integer fen, got {type(fen).__name__} {fen!r}")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}" if grouping else f"{sign}{whole}.{cents:02d}"


def parse_yuan(text: str, *, allow_negative: bool = True) -> int:
    """Yuan text with at most two decimals as integer fen, exactly.

    Accepts thousands separators in the usual places, full-width digits and a
    leading sign. Refuses anything else with a message that says what is
    expected.

    Raises:
        ValueError: the text is not an amount in yuan with at most two decimals.

    >>> parse_yuan("0.5"), parse_yuan("+7"), parse_yuan(" 12,000.00 ")
    (50, 700, 1200000)
    """
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    body = raw
    if "," in raw:
        if not _GROUPED.match(raw):
            raise ValueError(
                f"'{text}' is not an amount in yuan: thousands separators go every three digits"
            )
        body = raw.replace(",", "")
    match = _YUAN.match(body)
    if match is None:
        raise ValueError(
            f"'{text}' is not an amount in yuan with at most two decimals (e.g. 1234.50)"
        )
    sign, whole, cents = match.groups()
    fen = int(whole) * FEN_PER_YUAN + int((cents or "0").ljust(2, "0"))
    if sign == "-":
        if not allow_negative:
            raise ValueError(f"'{text}' is negative; an amount here must be 0 or more")
        fen = -fen
    return fen


def fen_from_yuan(amount: Decimal | int) -> int:
    """An exact yuan amount (Decimal or int) with at most two decimals as fen.

    Raises:
        ValueError: the amount has fractions of a fen.

    >>> fen_from_yuan(Decimal("969.80")), fen_from_yuan(3)
    (96980, 300)
    """
    scaled = Decimal(amount) * FEN_PER_YUAN
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} yuan has fractions of a fen")
    return int(scaled)


def group_digits(value: object) -> str:
    """A number's text with its whole part grouped by thousands, every decimal kept as it
    is written (an explanation's exact figures are not rounded for show); any other text
    as it is.

    >>> group_digits("3000000.00"), group_digits("573172.5205"), group_digits(-1234), group_digits("x1")
    ('3,000,000.00', '573,172.5205', '-1,234', 'x1')
    """
    text = str(value)
    found = re.fullmatch(r"(-?)(\d+)(\.\d+)?", text)
    if found is None:
        return text
    sign, whole, decimals = found.groups()
    return f"{sign}{int(whole):,}{decimals or ''}"


def yuan_from_fen(fen: int) -> Decimal:
    """Fen as an exact Decimal yuan (for JSON and templates that want a number).

    >>> yuan_from_fen(-1), yuan_from_fen(123450)
    (Decimal('-0.01'), Decimal('1234.50'))
    """
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


_DIGITS_ZH = "零壹贰叁肆伍陆柒捌玖"
_PLACES_ZH = ("", "拾", "佰", "仟")
_GROUPS_ZH = ("元", "万", "亿", "万")  # 万亿 reads 万 after 亿's group has passed
_ZERO_RUNS = (
    (re.compile("零[拾佰仟]"), "零"),
    (re.compile("零+"), "零"),
    (re.compile("零([万亿元])"), r"\1"),
    (re.compile("亿万"), "亿"),
)


def yuan_in_words(fen: int) -> str:
    """Fen as the amount in capital Chinese numerals (大写), as notices and cheques write it.

    >>> yuan_in_words(1_234_567), yuan_in_words(10_000_000_005), yuan_in_words(50)
    ('壹万贰仟叁佰肆拾伍元陆角柒分', '壹亿元零伍分', '伍角整')
    >>> yuan_in_words(0), yuan_in_words(1_001_000)
    ('零元整', '壹万零壹拾元整')
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"amounts are integer fen, got {type(fen).__name__} {fen!r}")
    if fen < 0:
        return "负" + yuan_in_words(-fen)
    if fen >= 10**18:
        raise ValueError(f"{fen} fen is beyond what a notice writes (under 10^16 yuan)")
    whole, cents = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    text = ""
    if whole or not cents:
        digits = str(whole)
        for i, d in enumerate(digits):
            place = len(digits) - 1 - i
            text += _DIGITS_ZH[int(d)] + _PLACES_ZH[place % 4]
            if place % 4 == 0:
                text += _GROUPS_ZH[place // 4]
        for pattern, replacement in _ZERO_RUNS:
            text = pattern.sub(replacement, text)
        if text.startswith("元"):  # 0 yuan
            text = "零元"
    if jiao:
        text += _DIGITS_ZH[jiao] + "角"
    elif fen_digit and text:
        text += "零"
    return text + (_DIGITS_ZH[fen_digit] + "分" if fen_digit else "整")
