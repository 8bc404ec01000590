"""The machine-readable ``code`` of every JSON refusal, and the request ``field`` it is about.

A program reads ``code`` (stable, snake_case, the same in every language) where a person
reads ``error`` (the title) and ``detail`` (what is wrong, what to do); docs/api.md
"Status codes" lists every code, and a test holds that list and ``CODES`` equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

ErrorCode = Literal[
    "not_signed_in",
    "forbidden",
    "csrf_expired",
    "not_found",
    "method_not_allowed",
    "too_large",
    "throttled",
    "invalid",
    "invalid_request",
    "conflict",
    "not_replayed",
    "busy",
    "no_data",
    "internal",
]

# Each code with its status and when it is answered (the table of docs/api.md says the same).
CODES: dict[str, tuple[int, str]] = {
    "invalid": (400, "a service refused a value of the request (the field it names, if one)"),
    "invalid_request": (
        422,
        "the request does not fit the schema (and 400: a body that cannot be read at all)",
    ),
    "not_signed_in": (401, "no credential, or one that is not valid"),
    "forbidden": (403, "the credential may not do this"),
    "csrf_expired": (403, "a cookie request without its CSRF token, or from another site"),
    "not_found": (404, "nothing with that id that is the caller's to see, or no such address"),
    "method_not_allowed": (405, "the address does not take this method"),
    "conflict": (409, "the state of what the request acts on does not allow it"),
    "not_replayed": (
        409,
        "a repeat (its Idempotency-Key) of a call carried out before, whose answer is not"
        " given again: too large to keep, or the account's roles changed since",
    ),
    "too_large": (413, "a file or body above its limit"),
    "throttled": (429, "too many attempts; wait Retry-After seconds"),
    "busy": (503, "busy; retry after Retry-After seconds"),
    "no_data": (503, "no enterprise data has been imported yet"),
    "internal": (500, "an unexpected error; nothing of it is told"),
}
assert set(CODES) == set(get_args(ErrorCode))

# A Starlette HTTPException (a route not found, a method not allowed, a body too large or
# unreadable) by its status; any other status is answered by its class (4xx, 5xx).
HTTP_CODES: dict[int, ErrorCode] = {
    400: "invalid_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
    503: "busy",
}


def http_code(status: int) -> ErrorCode:
    """The code of a refusal of the HTTP layer itself, by its status."""
    return HTTP_CODES.get(status) or ("internal" if status >= 500 else "invalid_request")


# Where a request's value is, as pydantic's ``loc`` begins.
SOURCES = ("body", "query", "path", "header", "cookie")


def field_of(errors: Sequence[Mapping[str, Any]]) -> str | None:
    """The request field the first schema error is about: ``reason`` for
    ``("body", "reason")``, ``limit`` for ``("query", "limit")``, ``complaints.0.phone`` for
    an item of a list; None for the body as a whole (not JSON, not an object, empty)."""
    if not errors:
        return None
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ())]
    if first.get("type") == "json_invalid" or not loc:
        return None  # its loc is ("body", the character's position)
    parts = loc[1:] if loc[0] in SOURCES else loc
    return ".".join(parts) or None
