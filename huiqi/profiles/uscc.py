"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Eighteen characters from a 31-character alphabet (no I, O, S, V, Z); the last is
a check character over the first seventeen with weights 3^(i-1) mod 31.

Example:
    >>> check_character("91310115MA1H8R7C4")
    '1'
    >>> validate("91310115MA1H8R7C41")
    '91310115MA1H8R7C41'
"""

from __future__ import annotations

import re
import unicodedata

from huiqi.errors import HuiqiError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# Registering-department + entity-type prefixes issued in practice (standards.md §1.1).
# Configurable on purpose: the standard's list is illustrative, not closed.
KNOWN_PREFIXES = frozenset(
    {"11", "12", "13", "19", "51", "52", "53", "54", "59", "91", "92", "93", "Y1"}
)


# A code a spreadsheet stored as a number: "9.13100001234568E+17" (Excel, a CSV saved
# from it, a Parquet double). Only 15 digits survive, so the code cannot be recovered.
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+")


class USCCError(HuiqiError):
    """A string is not a valid unified social credit code."""


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str, *, prefixes: frozenset[str] | None = KNOWN_PREFIXES) -> str:
    """Return the normalised code, or raise USCCError saying exactly what is wrong."""
    value = code.strip().upper()
    if _SCIENTIFIC.fullmatch(value):
        raise USCCError(
            f"'{code}' is a number in scientific notation: the spreadsheet stored the code as "
            "a number and kept only 15 of its digits, so it cannot be read back; format the "
            "column as text, enter the codes again (or export them again from the registry) "
            "and import the file again"
        )
    hidden = [(pos, ch) for pos, ch in enumerate(value, start=1) if not ch.isprintable()]
    if hidden:
        # A zero-width space or a control character pasted with the code: the message showed
        # 18 visible characters and said there were 19.
        pos, ch = hidden[0]
        raise USCCError(
            f"'{code}': character {pos} is invisible (U+{ord(ch):04X}); delete it and keep the"
            " 18 letters and digits of the code"
        )
    if len(value) != 18:
        raise USCCError(f"'{code}' has {len(value)} characters; a USCC has exactly 18")
    for pos, ch in enumerate(value, start=1):
        if ch not in VALUES:
            hint = " (I, O, S, V and Z are never used)" if ch in "IOSVZ" else ""
            half = unicodedata.normalize("NFKC", ch)
            if half != ch and half in VALUES:
                # A Chinese input method's full-width '９' or 'Ｍ'.
                hint = (
                    f" ('{ch}' is a full-width character: write the code in half-width letters"
                    f" and digits, '{half}')"
                )
            raise USCCError(f"'{code}': character {pos} '{ch}' is not allowed in a USCC{hint}")
    if not value[2:8].isdigit():
        raise USCCError(f"'{code}': characters 3-8 must be a 6-digit region code")
    if prefixes is not None and value[:2] not in prefixes:
        raise USCCError(
            f"'{code}': prefix '{value[:2]}' is not a known registering department and type"
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise USCCError(
            f"'{code}': check character is '{value[17]}' but should be '{expected}'; "
            "the code was probably mistyped"
        )
    return value


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except USCCError:
        return False
    return True


def make(prefix17: str) -> str:
    """Complete a 17-character body with its check character."""
    return prefix17 + check_character(prefix17)
