"""What every page form shares: the CSRF check and a safe place to go back to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from huiqi.web.deps import CsrfRefused
from huiqi.web.security import CSRF_FIELD, csrf_ok

# Said of a form whose CSRF token (or another mark of the page) is not this session's.
FORM_EXPIRED = "this form has expired or did not come from this site; reload the page"


def csrf_fields(request: Request, form: FormData) -> dict[str, str]:
    """The text fields of a posted form (a multipart one's files left out), once its CSRF
    token is found to be the session's."""
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not csrf_ok(request, fields.get(CSRF_FIELD)):
        raise CsrfRefused(FORM_EXPIRED)
    return fields


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form's fields, once its CSRF token is found to be the session's."""
    return csrf_fields(request, await request.form())


Form = Annotated[dict[str, str], Depends(checked_form)]


ID_MAX = 2**62  # the largest id a path or a form may name (id columns are 64-bit integers)


def form_id(text: str | None) -> int | None:
    """The id a form field names: ASCII digits from 1 to ``ID_MAX``, else None (a stale or
    tampered form), so that nothing a database cannot hold ever reaches a query."""
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= ID_MAX else None


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
