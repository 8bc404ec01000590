"""A query parameter an API endpoint does not take is refused (422), not ignored.

Regression: ``GET /api/v1/requests?after_id=2`` (the name the other listings use) was
ignored and answered the first page again, so a paging script looped for ever. The
allowed names are the endpoint's declared query parameters (its dependencies' included).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

_ALLOWED: dict[int, frozenset[str]] = {}


def _allowed(route: Any) -> frozenset[str] | None:
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    key = id(route)
    if key not in _ALLOWED:
        _ALLOWED[key] = frozenset(query_names(dependant))
    return _ALLOWED[key]


def query_names(dependant: Any) -> set[str]:
    """The query parameters of an endpoint and of its dependencies, by their names."""
    names = {str(p.alias) for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names


def known_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not declare, naming those it does."""
    allowed = _allowed(request.scope.get("route"))
    if allowed is None:
        return
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) or "none"
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": f"this endpoint takes no query parameter '{name}'; it takes: {takes}",
                    "input": request.query_params.get(name),
                }
                for name in unknown
            ]
        )
