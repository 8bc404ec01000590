"""Industry codes of GB/T 4754-2017 (国民经济行业分类): sections, divisions and classes.

A class is four digits; its first two digits are the division, and the section
(one letter) follows from the division ranges in ``huiqi/reference/industry_sections.yaml``.
Registries sometimes write the section in front of the class ("I6513");
:func:`normalise_class` accepts that form and checks that the letter agrees.

Names come from ``huiqi/reference/industry_classes.yaml``, a curated subset of the
1,380 classes: a class missing there is still *valid* when its division exists.

Example:
    >>> section_of("6513")
    'I'
    >>> normalise_class(" i6513 ")
    '6513'
    >>> class_name("6513")
    '应用软件开发'
"""

from __future__ import annotations

import functools
import re

from huiqi.errors import HuiqiError
from huiqi.profiles.dictionary import load_codelist

_CLASS_RE = re.compile(r"^([A-Z]?)([0-9]{4})$")


class IndustryCodeError(HuiqiError):
    """A string is not a usable GB/T 4754-2017 class code."""


@functools.cache
def division_sections() -> dict[int, str]:
    """Map every division number (1..97) to its section letter."""
    sections = load_codelist("industry_sections")
    table: dict[int, str] = {}
    for letter, entry in sections.codes.items():
        low, high = entry["divisions"]
        for division in range(int(low), int(high) + 1):
            table[division] = letter
    return table


def divisions_of(section: str) -> list[int]:
    """The division numbers of one section, ascending.

    Raises:
        IndustryCodeError: ``section`` is not one of the 20 section letters.
    """
    found = sorted(d for d, s in division_sections().items() if s == section)
    if not found:
        raise IndustryCodeError(
            f"'{section}' is not a GB/T 4754-2017 section; use one letter from A to T"
        )
    return found


def normalise_class(code: str) -> str:
    """Return the bare 4-digit class, accepting an optional section prefix.

    Raises:
        IndustryCodeError: the code is malformed, its division belongs to no section,
            or its section prefix disagrees with the division.
    """
    value = code.strip().upper()
    match = _CLASS_RE.match(value)
    if match is None:
        raise IndustryCodeError(
            f"'{code}' is not a GB/T 4754-2017 class: expected 4 digits such as 6513, "
            "optionally after its section letter (I6513)"
        )
    prefix, digits = match.groups()
    section = _section_of_digits(digits, code)
    if prefix and prefix != section:
        raise IndustryCodeError(
            f"'{code}': section prefix {prefix} does not match division {digits[:2]}, "
            f"which belongs to section {section}"
        )
    return digits


def _section_of_digits(digits: str, original: str) -> str:
    division = int(digits[:2])
    section = division_sections().get(division)
    if section is None:
        raise IndustryCodeError(
            f"'{original}': division {digits[:2]} belongs to no GB/T 4754-2017 section "
            "(divisions run from 01 to 97)"
        )
    return section


def section_of(class_code: str) -> str:
    """The section letter (A-T) of a class such as ``"6513"`` or ``"I6513"``.

    Raises:
        IndustryCodeError: see :func:`normalise_class`.
    """
    return _section_of_digits(normalise_class(class_code), class_code)


def is_valid_class(code: str | None) -> bool:
    """True when ``code`` is a well-formed class whose division exists."""
    if code is None:
        return False
    try:
        normalise_class(code)
    except IndustryCodeError:
        return False
    return True


@functools.cache
def _names() -> dict[str, dict[str, str]]:
    return {k: {"zh": str(v["zh"]), "en": str(v["en"])} for k, v in _class_codes().items()}


def _class_codes() -> dict[str, dict[str, object]]:
    return load_codelist("industry_classes").codes


def class_name(code: str, lang: str = "zh") -> str | None:
    """The class name in ``lang`` ("zh" or "en"); None when the class is not in the list."""
    entry = _names().get(normalise_class(code))
    return entry[lang] if entry else None


def known_classes(section: str | None = None) -> list[str]:
    """The named classes, ascending; only those of ``section`` when given."""
    codes = sorted(_names())
    if section is None:
        return codes
    wanted = set(divisions_of(section))
    return [c for c in codes if int(c[:2]) in wanted]
