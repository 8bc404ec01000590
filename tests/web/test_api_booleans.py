"""Booleans in the API's JSON bodies are JSON true/false only: "yes", 2, 1, "0" or "true" are
refused (422, naming the field) rather than guessed, since a guess could attest
commitments (告知承诺), accept a correction or mark a complainant professional."""

from __future__ import annotations

from typing import Any

import pytest
from portal_data import OFFER, PASSWORD, Portal

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction

LAX = ["yes", "true", "0", 1, 2, 0, "on", None]


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


@pytest.fixture(scope="module")
def complaint_officer(portal: Portal) -> str:
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="bool-complaints",
            roles=[RoleGrant(Role.COMPLAINT_OFFICER)],
            password=PASSWORD,
        )
    return "bool-complaints"


def offer(portal: Portal, user: str) -> int:
    rows = portal.client().get(
        "/api/v1/records", params={"policy_id": OFFER}, headers=bearer(portal, user)
    )
    return int(rows.json()[0]["id"])


def cases(portal: Portal, complaint_officer: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """(user, path, a body whose boolean is to be replaced, the boolean's field)."""
    return [
        ("ent3", f"/api/v1/records/{offer(portal, 'ent3')}/claim", {}, "attest"),
        ("ent3", f"/api/v1/records/{offer(portal, 'ent3')}/submit", {}, "attest"),
        ("steward", "/api/v1/corrections/1/decide", {"reason": "核实"}, "accept"),
        (
            complaint_officer,
            "/api/v1/complaints/complainants/1/decide",
            {"reason": "核实"},
            "professional",
        ),
    ]


def test_a_boolean_field_takes_only_json_true_or_false(
    portal: Portal, complaint_officer: str
) -> None:
    """Regression: {"attest": "yes"} claimed an offer with its commitments attested, and
    "0", 1 or 2 were read as booleans too."""
    client = portal.client()
    for user, path, body, field in cases(portal, complaint_officer):
        headers = bearer(portal, user)
        for value in LAX:
            response = client.post(path, json={**body, field: value}, headers=headers)
            assert response.status_code == 422, (path, value, response.text)
            [error] = response.json()["detail"]
            assert error["loc"] == ["body", field], (path, value, error)
    records = client.get(
        "/api/v1/records", params={"policy_id": OFFER}, headers=bearer(portal, "ent3")
    )
    assert records.json()[0]["status"] == "offered"  # nothing was claimed


def test_a_corrections_value_is_text_a_whole_number_or_a_json_boolean(portal: Portal) -> None:
    headers = bearer(portal, "ent4")
    body = {"field": "insured_employees", "year": 2025}
    refused = portal.client().post(
        "/api/v1/corrections", json={**body, "value": 2.0}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][:2] == [
        "body",
        "value",
    ]
    made = portal.client().post("/api/v1/corrections", json={**body, "value": 12}, headers=headers)
    assert made.status_code == 200, made.text
