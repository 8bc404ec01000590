"""A query or path value of the wrong form is refused with what to write, not with the
regular expression that checks it ('String should match pattern ...')."""

from __future__ import annotations

from typing import Any

from portal_data import Portal
from test_requests_pages import bearer

from huiqi.web.errors import PATTERN_WORDS


def _patterns(schema: Any) -> set[str]:
    """Every pattern in the OpenAPI document's parameters."""
    found: set[str] = set()
    for path in schema["paths"].values():
        for operation in path.values():
            for param in operation.get("parameters", []):
                for part in (param.get("schema", {}), *param.get("schema", {}).get("anyOf", [])):
                    if "pattern" in part:
                        found.add(part["pattern"])
    return found


def test_every_parameter_pattern_is_said_in_words(portal: Portal) -> None:
    schema = portal.client().get("/api/v1/openapi.json").json()
    patterns = _patterns(schema)
    assert patterns, "the API has no parameter pattern left: drop PATTERN_WORDS"
    assert patterns <= set(PATTERN_WORDS), patterns - set(PATTERN_WORDS)


def test_a_month_of_the_wrong_form_says_how_to_write_one(portal: Portal) -> None:
    got = portal.client().get(
        "/api/v1/dashboard/totals",
        params={"kind": "grant", "month_from": "2026/3"},
        headers=bearer(portal, "officer"),
    )
    assert got.status_code == 422, got.text
    assert "pattern" not in got.text and "YYYY-MM" in got.text and "2026/3" in got.text
