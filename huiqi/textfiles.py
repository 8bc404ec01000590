"""Text files people write by hand (policies, mappings, the office's dictionary): UTF-8,
and a refusal that says what a file in another encoding was saved as and what to do."""

from __future__ import annotations

import codecs
from pathlib import Path

from huiqi.errors import HuiqiError, Location

SAVE_AS_UTF8 = "save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)"


def encoding_hint(raw: bytes) -> str:
    """What ``raw`` (not UTF-8) was written in, and what to do, as ': …'; '' when unknown."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return f': this one is UTF-16 (Notepad\'s "Unicode"); {SAVE_AS_UTF8}'
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return f": this one reads as GBK; {SAVE_AS_UTF8}"


def read_utf8(path: Path, what: str, error: type[HuiqiError]) -> str:
    """The text of ``path``; ``error`` naming the file when it cannot be read or is not
    UTF-8 (``what``: 'mapping file', 'dictionary file'…)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(
            f"cannot read the {what}: {exc.strerror}", location=Location(str(path))
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(
            f"a {what} must be UTF-8 text{encoding_hint(raw)}", location=Location(str(path))
        ) from None
