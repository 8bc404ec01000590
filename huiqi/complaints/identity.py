"""Complainants' identity fields: kept only as keyed hashes, shown only masked.

A complaint names its complainant: name, ID number, phone, address and bank account
(where compensation is to be paid). Detection needs only to know that two complaints
share one of them, so each is stored as a keyed hash (HMAC-SHA256 with the person key
of :mod:`huiqi.profiles.persons`, ``HUIQI_PERSON_KEY``, never in the repository) and a
masked form for the reviewer's screen (BRIEF "Personal data"). The clear value is never
stored. A field is normalised before hashing so that the same phone written
``138-1234-5678`` and ``13812345678`` matches.

The same normalisation, masking and HMAC are written in SQL (:func:`normalise_sql`,
:func:`mask_sql`, :func:`hmac_sql`) so that an import of a million complaints hashes in
DuckDB, in parallel; a test holds the SQL and the Python forms equal.

Example:
    >>> normalise("phone", " 138-1234 5678 ")
    '13812345678'
    >>> mask("phone", "13812345678"), mask("name", "张三丰"), mask("bank", "6222021234567890123")
    ('138****5678', '张**', '6222***********0123')
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Iterable

FIELDS = ("name", "id_number", "phone", "address", "bank")
# Fields detection links complainants by (a name alone identifies nobody).
LINKING = ("id_number", "phone", "address", "bank")
_NOT_DIGIT = re.compile(r"[^0-9]")
# ASCII letters only: Python and DuckDB upper-case other scripts differently (ß), and an
# ID number is digits and X.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
# Blanks as both Python and DuckDB (RE2) read them: ASCII whitespace, NBSP, ideographic space.
_SPACE = re.compile("[\t\n\v\f\r \u00a0\u3000]+")
_SPACE_SQL = "[\\t\\n\\v\\f\\r \\x{a0}\\x{3000}]+"


# A complainant's phone as the complaint API takes it: a mainland mobile number (11 digits
# from 13-19, after an optional +86, 0086 or 86) or a landline with its area code (0, two or
# three digits, then seven or eight: 10 to 12 digits), written with spaces, hyphens or
# brackets as people write them.
PHONE_RULE = (
    "a mobile number (11 digits starting with 1, such as 13812345678 or +86 138 1234 5678)"
    " or a landline with its area code (such as 021-12345678)"
)
_PHONE_TEXT = re.compile(r"(\+86|0086|86(?=[ -]?1))?[0-9 ()\-]+")
_PHONE_DIGITS = re.compile(r"1[3-9][0-9]{9}|0[1-9][0-9]{8,10}")


def is_phone(value: str) -> bool:
    """Whether ``value`` is a phone number by :data:`PHONE_RULE`.

    Example:
        >>> is_phone("138-1234-5678"), is_phone("021-12345678"), is_phone("138001380001234567")
        (True, True, False)
    """
    written = _PHONE_TEXT.fullmatch(value.strip())
    if written is None:
        return False
    digits = _NOT_DIGIT.sub("", value.strip()[len(written[1] or "") :])
    return _PHONE_DIGITS.fullmatch(digits) is not None


def normalise(field: str, value: str) -> str:
    """The form a field is compared in: digits only for phones and bank accounts, upper
    case ASCII for ID numbers (the check character x), no blanks in names and addresses."""
    text = value
    if field in ("phone", "bank"):
        digits = _NOT_DIGIT.sub("", text)
        # +86 / 0086 before a mobile number is the same phone.
        if field == "phone" and len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits
    if field == "id_number":
        return _SPACE.sub("", text).translate(_ASCII_UPPER)
    return _SPACE.sub("", text)


def keyed_hash(key: bytes, field: str, value: str) -> str:
    """32 hex digits of HMAC-SHA256(key, field ‖ normalised value); the field is part of
    the message so that a phone never matches a bank account with the same digits."""
    message = f"{field}\x1f{normalise(field, value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def hash_values(key: bytes, field: str, values: Iterable[str | None]) -> list[str | None]:
    """Keyed hashes of many values, each distinct value hashed once; empty stays None."""
    cache: dict[str, str | None] = {}
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        h = cache.get(v)
        if h is None and v not in cache:
            h = keyed_hash(key, field, v) if normalise(field, v) else None
            cache[v] = h
        out.append(h)
    return out


def mask(field: str, value: str) -> str:
    """The shown form: a name keeps its first character, a phone its first 3 and last 4
    digits, an address its first 6 characters, others their first and last 4."""
    text = normalise(field, value)
    if field == "name":
        return text[:1] + "*" * max(len(text) - 1, 0)
    if field == "address":
        return text[:6] + ("***" if len(text) > 6 else "")
    keep_head = 3 if field == "phone" else 4
    if len(text) <= keep_head + 4:
        return "*" * len(text)
    return text[:keep_head] + "*" * (len(text) - keep_head - 4) + text[-4:]


def mask_values(field: str, values: Iterable[str | None]) -> list[str | None]:
    return [None if v is None or not normalise(field, v) else mask(field, v) for v in values]


# ----------------------------------------------------------------------------- SQL forms
def pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104), the parameters of :func:`hmac_sql`."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def normalise_sql(field: str, cell: str) -> str:
    """SQL of :func:`normalise` over the text expression ``cell`` (a column we name)."""
    if field in ("phone", "bank"):
        digits = f"regexp_replace({cell}, '[^0-9]', '', 'g')"
        if field == "phone":
            return f"regexp_replace({digits}, '^86([0-9]{{11}})$', '\\1')"
        return digits
    spaced = f"regexp_replace({cell}, '{_SPACE_SQL}', '', 'g')"
    lower, upper = string.ascii_lowercase, string.ascii_uppercase
    return f"translate({spaced}, '{lower}', '{upper}')" if field == "id_number" else spaced


def mask_sql(field: str, v: str) -> str:
    """SQL of :func:`mask` over ``v``, a column already normalised (NULL for an empty value)."""
    if field == "name":
        shown = f"left({v}, 1) || repeat('*', greatest(length({v}) - 1, 0))"
    elif field == "address":
        shown = f"left({v}, 6) || CASE WHEN length({v}) > 6 THEN '***' ELSE '' END"
    else:
        head = 3 if field == "phone" else 4
        shown = (
            f"CASE WHEN length({v}) <= {head + 4} THEN repeat('*', length({v}))"
            f" ELSE left({v}, {head}) || repeat('*', length({v}) - {head + 4}) || right({v}, 4) END"
        )
    return f"CASE WHEN coalesce({v}, '') = '' THEN NULL ELSE {shown} END"


def hmac_sql(field: str, v: str) -> str:
    """SQL of :func:`keyed_hash` over ``v``, a column already normalised (NULL for an empty
    value), taking two BLOB parameters: the outer and the inner padded key
    (``pads(key)[::-1]``), in that order."""
    inner = f"unhex(sha256(?::BLOB || encode('{field}\x1f' || {v})))"
    return (
        f"CASE WHEN coalesce({v}, '') = '' THEN NULL ELSE left(sha256(?::BLOB || {inner}), 32) END"
    )
