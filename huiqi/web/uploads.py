"""Reading an uploaded file, bounded: a body that says it is far larger than the limit is
refused before it is parsed, and no more than the limit (plus one byte, to tell "too
big") is ever read into memory. What the file is, and whether it may be attached, is
``delivery.attachments.add_attachment``'s to decide.

The length a body declares is read strictly: ASCII digits only, at most
``LENGTH_DIGITS`` of them. ``str.isdigit()`` also takes superscripts ("²", which ``int()``
refuses: a server error) and other scripts' digits ("١٢٣", which ``int()`` reads), and
``int()`` refuses more than 4300 digits; any such header is a 400 that says what to send.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from huiqi.delivery.filetypes import AttachmentError, AttachmentTooLarge
from huiqi.errors import HuiqiError, TooLarge

SLACK = 64 * 1024  # the multipart envelope and the form's other fields
# The most digits a Content-Length may have: 19 digits are up to 10^19 bytes, beyond any
# body a server takes (and within a 64-bit integer's range).
LENGTH_DIGITS = 19


class BadContentLength(HuiqiError):
    """A request's Content-Length header is not a length in bytes (HTTP 400)."""


def declared_length(request: Request) -> int | None:
    """The body's length in bytes as its Content-Length header says (None: no header);
    BadContentLength when the header is not ASCII digits, or more than ``LENGTH_DIGITS``
    of them."""
    header = request.headers.get("content-length")
    if header is None:
        return None
    length = parse_length(header)
    if length is None:
        shown = header if len(header) <= 40 else header[:40] + "…"
        raise BadContentLength(
            f"the Content-Length header {shown!r} is not a length in bytes: send the body's"
            f" length as ASCII digits (at most {LENGTH_DIGITS}), e.g. 1024, or leave the"
            " header to the HTTP client"
        )
    return length


def parse_length(header: str) -> int | None:
    """A Content-Length value in bytes: ASCII digits, at most ``LENGTH_DIGITS`` of them,
    with the optional whitespace around a header's value; None when it is anything else."""
    text = header.strip(" \t")
    if not (text.isascii() and text.isdigit()) or len(text) > LENGTH_DIGITS:
        return None
    return int(text)


def _missing() -> AttachmentError:
    return AttachmentError("choose a file to attach", "missing")


def refuse_oversized(request: Request, limit: int) -> None:
    """Refuse a request whose declared length is beyond any file within ``limit``."""
    declared = declared_length(request)
    if declared is not None and declared > limit + SLACK:
        raise AttachmentTooLarge(
            f"the upload is {declared:,} bytes; at most {limit:,} bytes"
            f" ({limit / 1024 / 1024:g} MB) are accepted"
        )


async def read_upload(upload: object, limit: int) -> tuple[str | None, bytes]:
    """The file's name as sent and at most ``limit + 1`` of its bytes."""
    if not isinstance(upload, UploadFile):
        raise _missing()
    content = await upload.read(limit + 1)
    if not content and not upload.filename:
        raise _missing()
    return upload.filename, content


class UploadTooLarge(TooLarge):
    """An uploaded file is larger than the API accepts (HTTP 413)."""


def _too_large(size: int, limit: int, field: str | None = None) -> UploadTooLarge:
    return UploadTooLarge(
        f"the upload is {size:,} bytes or more; at most {limit:,} bytes"
        f" ({limit / 1024 / 1024:g} MB) are accepted (HUIQI_WEB_MAX_UPLOAD_MB)",
        field=field,
    )


def refuse_too_large(request: Request, limit: int, *, extra: int = 0, field: str = "file") -> None:
    """For the API: UploadTooLarge (413) when the body says it holds more than a file of
    ``limit`` bytes and ``extra`` bytes of other parts (a mapping); the refusal names
    ``limit``, the file's limit, which is what the sender can act on, and the part the
    file goes in (``field``)."""
    declared = declared_length(request)
    if declared is not None and declared > limit + extra + SLACK:
        raise _too_large(declared, limit, field)


async def read_bounded(upload: object, limit: int, field: str = "file") -> tuple[str, bytes]:
    """For the API: an uploaded file's name and content; UploadTooLarge (413) when it is
    larger than ``limit``; when no file came, the 422 a missing field of the request is
    (as FastAPI answers it, naming ``field``)."""
    if not isinstance(upload, UploadFile):
        # Said what to send: "Field required" alone left a client that sent JSON, or the
        # file's text as a plain field, to guess that a multipart file part was wanted (QA).
        if isinstance(upload, str):
            msg = (
                f"the part '{field}' is text, not a file; send the file as a part named"
                f" '{field}' with a filename (multipart/form-data)"
            )
        else:
            msg = (
                f"Field required: send a multipart/form-data body with the file in a part"
                f" named '{field}'"
            )
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", field), "msg": msg, "input": None}]
        )
    name, content = await read_upload(upload, limit)
    if len(content) > limit:
        raise _too_large(len(content), limit, field)
    return name or "", content


def multipart_body(
    fields: dict[str, str],
    required: tuple[str, ...] = ("file",),
    texts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an upload whose endpoint reads the form itself (after
    its access check, so that FastAPI does not parse the body first): file fields by name,
    with their descriptions, and ``texts``, the form's text fields."""
    properties: dict[str, Any] = {
        name: {"type": "string", "format": "binary", "description": text}
        for name, text in fields.items()
    }
    properties |= {
        name: {"type": "string", "maxLength": 200, "description": text}
        for name, text in (texts or {}).items()
    }
    schema = {"type": "object", "required": list(required), "properties": properties}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


def download(content: bytes, content_type: str, filename: str, attachment_id: int) -> Response:
    """A stored file as a download: its sniffed type, its safe name (RFC 6266, with an
    ASCII fallback), never shown inline."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    disposition = (
        f'attachment; filename="attachment-{attachment_id}.{extension}";'
        f" filename*=UTF-8''{quote(filename, safe='')}"
    )
    return Response(content, media_type=content_type, headers={"Content-Disposition": disposition})
