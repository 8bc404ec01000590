"""No request body larger than the portal takes is read, whatever its kind.

Files have their limit where they are read (:mod:`huiqi.web.uploads`, ``HUIQI_WEB_MAX_UPLOAD_MB``);
a JSON body or a form had none, so an anonymous caller could make a worker read and
parse 60 MB (``POST /api/v1/calculator``: 200 after 0.4 s, 400 MB resident). This ASGI
wrapper counts the bytes a route reads: a body that declares, or turns out to hold, more
than a file within the upload limit and a few fields is refused with 413 as it is read,
before it is parsed. A route that reads no body is not affected.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huiqi.web.uploads import SLACK, parse_length

TOO_LARGE = (
    "the request body is %(size)s bytes or more; a body holds at most a file of"
    " %(limit)s MB (HUIQI_WEB_MAX_UPLOAD_MB) and a few fields"
)


def too_large(size: int, files: int) -> HTTPException:
    limit = f"{files / 1024 / 1024:g}"
    return HTTPException(413, detail=TOO_LARGE % {"size": f"{size:,}", "limit": limit})


def _declared(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            # A malformed header is huiqi.web.uploads' to refuse where a route reads it.
            return parse_length(value.decode("latin-1"))
    return None


class BodyLimit:
    """Refuse (413) a request body beyond a file of ``files`` bytes, its multipart
    envelope and a mapping file (two ``SLACK``), as the route reads it."""

    def __init__(self, app: ASGIApp, files: int) -> None:
        self.app, self.files, self.limit = app, files, files + 2 * SLACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        files, limit, declared = self.files, self.limit, _declared(scope)
        state: dict[str, Any] = {"read": 0}

        async def bounded() -> Message:
            if declared is not None and declared > limit:
                raise too_large(declared, files)
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    raise too_large(state["read"], files)
            return message

        await self.app(scope, bounded, send)
