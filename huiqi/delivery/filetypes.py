"""What an uploaded file is, from its bytes, and a safe name to keep it under.

The content type a browser or a client declares is not trusted: the type is sniffed
from the file's first bytes (PDF, PNG, JPEG) and, for the Office formats, from the
ZIP's own directory (an .xlsx holds ``xl/workbook.xml``, a .docx ``word/document.xml``;
only the directory is read, nothing is decompressed). The stored name is the user's
base name, stripped of any path, control and reserved characters, with the extension
of the sniffed type: never a path, never a name that could mean something to a shell
or a file system.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from huiqi.errors import HuiqiError, StateConflict, TooLarge


class AttachmentError(HuiqiError):
    """An attachment refused: empty, too big, not an accepted type, one too many, an
    application no longer open, or an idempotency key that is malformed or was sent with
    another application's file; ``code`` says which (the portal words it by the field)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        # empty | too_big | wrong_type | too_many | not_open | bad_key | key_reused | document
        self.code = code
        self.field = _FIELDS.get(code)


# The request's field each kind of refusal is about (the API's names; HuiqiError.field).
_FIELDS = {
    "empty": "file",
    "wrong_type": "file",
    "too_big": "file",
    "document": "document",
    "bad_key": "Idempotency-Key",
}


class AttachmentTooLarge(AttachmentError, TooLarge):
    """A file above the size limit (code ``too_big``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "too_big")


class AttachmentConflict(AttachmentError, StateConflict):
    """The application cannot take this file now: no longer open, or its files are full; or
    the upload's idempotency key was sent before with another application's file."""


@dataclass(frozen=True)
class FileType:
    name: str  # what people call it
    content_type: str
    extension: str


PDF = FileType("PDF", "application/pdf", ".pdf")
PNG = FileType("PNG", "image/png", ".png")
JPEG = FileType("JPEG", "image/jpeg", ".jpg")
XLSX = FileType(
    "Excel (xlsx)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
)
DOCX = FileType(
    "Word (docx)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
)
ACCEPTED = (PDF, PNG, JPEG, XLSX, DOCX)
_OFFICE = {"xl/workbook.xml": XLSX, "word/document.xml": DOCX}
MAX_NAME = 80  # characters of the stem kept
_UNSAFE = re.compile(r"[^\w\u3000-\u303f\uff00-\uffef .()\[\]-]+")


def accepted_names() -> str:
    return ", ".join(t.name for t in ACCEPTED)


def _office(content: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    return next((t for member, t in _OFFICE.items() if member in names), None)


def sniff(content: bytes) -> FileType:
    """The type of a file from its content; ``AttachmentError`` when it is none accepted."""
    if not content:
        raise AttachmentError("the file is empty", "empty")
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        found = _office(content)
        if found is not None:
            return found
    raise AttachmentError(
        f"this file is not one of the accepted types ({accepted_names()}), whatever its name says",
        "wrong_type",
    )


def safe_filename(name: str | None, kind: FileType) -> str:
    """The user's file name made safe to keep and to offer for download: the last part of
    any path, normalised (NFKC), control and reserved characters replaced, at most
    ``MAX_NAME`` characters, with the extension of the sniffed type."""
    raw = unicodedata.normalize("NFKC", name or "")
    base = re.split(r"[\\/]", raw)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = "".join(c for c in stem if unicodedata.category(c)[0] != "C")
    stem = _UNSAFE.sub("_", stem).strip(" ._-")[:MAX_NAME].strip(" ._-")
    return f"{stem or 'attachment'}{kind.extension}"
