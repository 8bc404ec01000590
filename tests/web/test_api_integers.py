"""Whole numbers in the API's JSON bodies are JSON numbers: true and false are refused (422,
naming the field) rather than read as 1 and 0, since a guess rates an answer 1 star (which
reopens a request) or names grant 1. The counterpart of test_api_booleans.py."""

from __future__ import annotations

from typing import Any

import pytest
from portal_data import Portal


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


def filed_request(portal: Portal, headers: dict[str, str]) -> int:
    response = portal.client().post(
        "/api/v1/requests", json={"category": "funding", "text": "何时到账？"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize("value", [True, False])
def test_a_whole_number_field_refuses_json_true_or_false(portal: Portal, value: bool) -> None:
    """Regression: {"stars": true} was read as 1 star and {"grant_id": true} as grant 1."""
    client = portal.client()
    headers = bearer(portal, "ent5")
    request_id = filed_request(portal, headers)
    cases: list[tuple[str, dict[str, Any], str]] = [
        (f"/api/v1/requests/{request_id}/rate", {}, "stars"),
        ("/api/v1/ratings", {"grant_id": 1}, "stars"),
        ("/api/v1/ratings", {"stars": 5}, "grant_id"),
        ("/api/v1/ratings", {"stars": 5}, "entitlement_id"),
        ("/api/v1/corrections", {"field": "insured_employees", "value": "12"}, "year"),
        ("/api/v1/requests", {"category": "funding", "text": "x"}, "grant_id"),
    ]
    for path, body, field in cases:
        response = client.post(path, json={**body, field: value}, headers=headers)
        assert response.status_code == 422, (path, field, response.text)
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", field], (path, field, error)
    shown = client.get(f"/api/v1/requests/{request_id}", headers=headers).json()
    assert shown["status"] == "open"  # nothing was rated


def test_a_whole_number_is_still_read(portal: Portal) -> None:
    """A JSON number, as before, reaches the service (here: the request is not answered)."""
    headers = bearer(portal, "ent5")
    request_id = filed_request(portal, headers)
    response = portal.client().post(
        f"/api/v1/requests/{request_id}/rate", json={"stars": 5}, headers=headers
    )
    assert response.status_code == 409, response.text
