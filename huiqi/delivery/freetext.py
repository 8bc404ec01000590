"""Free text a user writes into the ledger (a comment, a reason): stripped, bounded in
length, and free of control characters other than newline and tab. A line break is kept
as one newline, whoever sent it: a browser sends a textarea's as CR LF."""

from __future__ import annotations

import unicodedata
from typing import Any

from huiqi.errors import HuiqiError

MAX_LENGTH = 2000


def clean_text(
    value: Any,
    what: str,
    error: type[HuiqiError],
    *,
    required: bool = False,
    max_length: int = MAX_LENGTH,
    field: str | None = None,
) -> str | None:
    """``value`` stripped, or None when blank; ``error`` says what is wrong with ``what``
    (e.g. "the reason") when it is missing but ``required``, not text, too long, or holds
    control characters. ``field``: the request's field the text came in (``reason``), which
    the refusal names for a program (HuiqiError.field)."""

    def refused(message: str) -> HuiqiError:
        exc = error(message)
        exc.field = field
        return exc

    if value is None or (isinstance(value, str) and is_blank(value)):
        if required:
            raise refused(f"{what} is required")
        return None
    if not isinstance(value, str):
        raise refused(f"{what} is text, not {type(value).__name__}")
    # A form's textarea sends each line break as CR LF (HTML's form submission), so a text
    # of two lines typed in the portal was refused as holding a control character (CR).
    # One newline, as the textarea's maxlength counts it.
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > max_length:
        raise refused(f"{what} has at most {max_length} characters, not {len(text)}")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise refused(f"{what} cannot contain control characters")
    return text


def is_blank(value: str) -> bool:
    """True when ``value`` shows nothing: only whitespace and invisible format characters
    (zero-width space U+200B, word joiner, byte-order mark...), which ``str.strip`` keeps,
    so a reason or a request of a zero-width space alone was accepted as written."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)
