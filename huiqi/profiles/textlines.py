"""The physical lines of a text registry file, decoded one by one.

A registry export is sometimes pieced together from several sources, so one
line in another encoding (a GBK row in a UTF-8 file) must cost that line, not
the file. The file's encoding is therefore decided by what most of its lines
are, and each line is decoded on its own: a line that does not decode is handed
back as a :class:`BadLine` with its number, the reason, and its text as the
other encoding reads it (for the rejects report).

Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``, as a text editor counts
them. Neither ``\\n`` nor ``\\r`` can occur inside a GBK/GB18030 or UTF-8
multi-byte character, so lines are split on the raw bytes.

Example:
    >>> import io
    >>> lines = Lines(io.BytesIO("名称\\n甲\\n".encode() + "乙\\n".encode("gbk")), "utf-8")
    >>> list(lines.iterate()), lines.number, lines.bad[0].number
    (['名称\\n', '甲\\n'], 2, 3)
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

CHUNK_BYTES = 1 << 20
# Lines one encoding must lead by before the rest of a file is no longer counted line by line.
DECIDED = 10_000
LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030"}


@dataclass(frozen=True)
class BadLine:
    """A line that does not decode in the file's encoding."""

    number: int
    reason: str
    text: str


# What Chinese text written in UTF-8 holds: ASCII, CJK ideographs and punctuation,
# full-width forms, general punctuation and the middle dot of foreign names.
_NOT_CHINESE_TEXT = re.compile(
    "[^\x00-\x7f\u00b7\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
)
UTF8_IN_GBK = (
    "the line is UTF-8, not GBK/GB18030 like the rest of the file (read as GBK it would be"
    " stored garbled: 上海 as 涓婃捣); save the whole file in one encoding"
)


def utf8_in_gbk(raw: bytes) -> bool:
    """Whether a line of a GBK/GB18030 file is UTF-8 Chinese text. GB18030 decodes almost
    any bytes, so such a line decodes without error, as mojibake that would be stored;
    a GBK line of common characters is practically never UTF-8 of Chinese text only (no
    pair of GB2312 level-1 characters is)."""
    if raw.isascii():
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _NOT_CHINESE_TEXT.search(text) is None


# The first byte of the UTF-8 form of each character beyond ASCII that _NOT_CHINESE_TEXT
# allows: U+00B7 (C2), U+2000-U+206F (E2), U+3000-U+303F and U+3400-U+3FFF (E3),
# U+4000-U+4DBF and U+4E00-U+4FFF (E4), U+5000-U+9FFF (E5-E9), U+FF00-U+FFEF (EF).
_CHINESE_LEADS = np.zeros(256, dtype=np.bool_)
_CHINESE_LEADS[[0xC2, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEF]] = True


def any_utf8_in_gbk(chunk: bytes) -> bool:
    """Whether any line of ``chunk`` (split at ``\\n``) is UTF-8 Chinese text
    (:func:`utf8_in_gbk`), without calling it on every line.

    Such a line's first run of non-ASCII bytes opens with the lead byte of a character
    that :func:`utf8_in_gbk` allows, followed by a continuation byte (``10xxxxxx``).
    Those places are found for the whole chunk at once (NumPy), and only the lines
    holding one are decoded. A GBK registry file's runs rarely open so: in the tax
    file, every line's ``A级`` opens with ``0xBC``, which no UTF-8 character does.
    """
    data = np.frombuffer(chunk, dtype=np.uint8)
    if data.size < 2:
        return False
    high = data >= 0x80
    # Where a run of non-ASCII bytes opens (after an ASCII byte, or first in the chunk),
    # short of the last byte, which no continuation byte follows.
    opens = np.flatnonzero(high[1:-1] > high[:-2]) + 1
    if high[0]:
        opens = np.concatenate(([0], opens))
    opens = opens[_CHINESE_LEADS[data[opens]] & ((data[opens + 1] & 0xC0) == 0x80)]
    looked = -1  # the end of the last line decoded: one run per line is enough
    for position in opens.tolist():
        if position < looked:
            continue
        start = chunk.rfind(b"\n", 0, position) + 1
        end = chunk.find(b"\n", position)
        end = len(chunk) if end < 0 else end
        if utf8_in_gbk(chunk[start:end]):
            return True
        looked = end
    return False


def other_encoding(encoding: str) -> str:
    return "gb18030" if encoding.startswith("utf-8") else "utf-8"


def undecodable(raw: bytes, encoding: str) -> tuple[str, str]:
    """(reason, best-effort text) for a line that is not in ``encoding``."""
    plain = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        raw.decode(plain)
    except UnicodeDecodeError as exc:
        position, byte = exc.start + 1, raw[exc.start]
    else:  # pragma: no cover - only called for lines that failed
        position, byte = 0, 0
    other = other_encoding(encoding)
    try:
        text = raw.decode(other)
        reads = f"; it reads as {NAMES[other]}"
    except UnicodeDecodeError:
        text = raw.decode(plain, errors="replace")
        reads = ""
    reason = (
        f"the line is not {NAMES[encoding]} like the rest of the file (byte 0x{byte:02X} at "
        f"byte {position} of the line){reads}; save the whole file in one encoding"
    )
    return reason, text.rstrip("\r\n")


@dataclass(frozen=True)
class FileFacts:
    """What one pass over a text file's bytes tells (see :func:`scan`).

    ``lines`` counts physical lines. ``plain`` says that a CSV reader that knows
    nothing of recovery reads the file as :mod:`huiqi.profiles.csvrecords` does,
    one record per line: every line ends in ``\\n`` (or every one in ``\\r\\n``;
    never a lone ``\\r``), every line decodes in the file's encoding (GB18030 is
    checked when the file is transcoded), no line is blank, no NUL byte, and no
    space beside a quote (``a, "b"`` or ``"b" ,``, which readers disagree on).
    """

    sha256: str
    encoding: str
    lines: int
    plain: bool


# Byte pairs whose presence sends a file to the per-line reader (see FileFacts.plain).
_NOT_PLAIN = (b"\x00", b"\n\n")
# A blank line of a CRLF file, looked for only where a chunk holds a carriage return.
_BLANK_CRLF = b"\n\r\n"
# Those with a space, looked for only in a chunk that has a space at all: a search for
# a pair costs up to 20 times one for a single byte, and most registry chunks have none.
_NOT_PLAIN_SPACED = (b' "', b'" ')


def detect(path: Path) -> tuple[str, str]:
    """SHA-256 of the file and its text encoding (see :func:`scan`)."""
    facts = scan(path)
    return facts.sha256, facts.encoding


def _header_encoding(line: bytes) -> str | None:
    """'utf-8' or 'gb18030' if the header line decodes in only that one (or is Chinese
    text in UTF-8, which GB18030 decodes too), else None."""
    line = line[3:] if line.startswith(codecs.BOM_UTF8) else line
    readable = []
    for encoding in ("utf-8", "gb18030"):
        try:
            line.decode(encoding)
            readable.append(encoding)
        except UnicodeDecodeError:
            pass
    if len(readable) == 2 and utf8_in_gbk(line):
        # Chinese text in UTF-8 (GB18030 reads it too, as mojibake): UTF-8 it is.
        return "utf-8"
    return readable[0] if len(readable) == 1 else None


def scan(path: Path) -> FileFacts:
    """SHA-256 of the file, its text encoding and its shape, in one pass over the bytes.

    UTF-8 wins when a whole chunk of non-ASCII text decodes as UTF-8, or when more
    non-ASCII lines decode as UTF-8 than not (GB18030 decodes almost any bytes, so
    it is never tried first). Only chunks that fail are looked at line by line, so
    a clean file costs one strict decode per megabyte, and only until one encoding
    leads by :data:`DECIDED` lines (a GBK file fails every chunk). But a header that
    reads in only one of the two encodings decides: the file is read in the encoding
    its header can be read in, and lines in the other are rejected one by one, rather
    than the whole file refused for an unreadable header.
    """
    digest = hashlib.sha256()
    first = b""
    clean_non_ascii, good_lines, bad_lines = False, 0, 0
    header = b""  # the first line with text: the header, whose encoding decides first
    newlines, plain, endings, tail = 0, True, set(), b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            # Whole lines only, so that a character is never cut in two.
            chunk += fh.readline()
            digest.update(chunk)
            first = first or chunk[:3]
            if not header.strip():
                header = next((line for line in chunk.split(b"\n") if line.strip()), b"")
            breaks = chunk.count(b"\n")
            newlines += breaks
            if plain:
                # Chunks end at a line break: one starting with a break holds a blank line.
                returns = b"\r" in chunk
                crlf = chunk.count(b"\r\n") if returns else 0
                if breaks:
                    endings.add("crlf" if crlf else "lf")
                plain = (
                    not chunk.startswith((b"\n", b"\r\n"))
                    and not any(pair in chunk for pair in _NOT_PLAIN)
                    and not (returns and _BLANK_CRLF in chunk)
                    and not (b" " in chunk and any(pair in chunk for pair in _NOT_PLAIN_SPACED))
                    and crlf in (0, breaks)
                    and chunk.count(b"\r") == crlf
                    and len(endings) == 1
                )
            tail = chunk[-4:]
            if chunk.isascii():
                continue
            try:
                chunk.decode("utf-8")
                clean_non_ascii = True
            except UnicodeDecodeError:
                if abs(good_lines - bad_lines) > DECIDED:
                    continue
                for line in chunk.split(b"\n"):
                    if line.isascii():
                        continue
                    try:
                        line.decode("utf-8")
                        good_lines += 1
                    except UnicodeDecodeError:
                        bad_lines += 1
    by_header = _header_encoding(header)
    if by_header is not None:
        utf8 = by_header == "utf-8"
    else:
        utf8 = clean_non_ascii or good_lines > bad_lines or bad_lines == 0
    if not utf8:
        encoding = "gb18030"
    else:
        encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
        plain = plain and bad_lines == 0
    lines = newlines + (1 if tail and not tail.endswith(b"\n") else 0)
    return FileFacts(digest.hexdigest(), encoding, lines, plain)


class Lines:
    """Decoded lines of a binary stream, numbered from 1, for ``csv.reader``.

    ``iterate()`` gives the lines; ``number`` is the number of the line last given.
    Lines that do not decode are skipped and collected in ``bad``; the caller takes
    them out as it goes. ``record`` holds (number, text) of every line given since
    ``record.clear()``; ``push_back`` queues lines to be given again (recovery after
    a broken quote), after which a new ``iterate()`` is needed if the last one ended.
    """

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self._stream = stream
        self._encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self._file_encoding = encoding
        self._next_number = 1
        self._pending: deque[tuple[int, str]] = deque()
        self._raw = self._split()
        self.number = 0
        self.bad: list[BadLine] = []
        self.record: list[tuple[int, str]] = []

    def _split(self) -> Iterator[bytes]:
        first = True
        for raw in self._stream:
            if first:
                first = False
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
            if raw.find(b"\r", 0, len(raw) - 2) != -1:
                yield from (part for part in LONE_CR.split(raw) if part)
            else:
                yield raw

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._pending.extendleft(reversed(lines))

    def bytes_read(self) -> int:
        return self._stream.tell()

    def iterate(self) -> Iterator[str]:
        pending, record, encoding = self._pending, self.record, self._encoding
        while True:
            if pending:
                self.number, text = pending.popleft()
                record.append((self.number, text))
                yield text
                continue
            raw = next(self._raw, None)
            if raw is None:
                return
            number = self._next_number
            self._next_number = number + 1
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                reason, shown = undecodable(raw, self._file_encoding)
                self.bad.append(BadLine(number, reason, shown))
                continue
            if encoding == "gb18030" and utf8_in_gbk(raw):
                shown = raw.decode("utf-8").rstrip("\r\n")
                self.bad.append(BadLine(number, UTF8_IN_GBK, shown))
                continue
            self.number = number
            record.append((number, text))
            yield text
