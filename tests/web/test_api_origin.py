"""Cross-site request forgery: a state-changing request that the session cookie
authenticates must come from a page of this site (its Origin header), on every API
endpoint as on every form; a bearer-token call is not concerned."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from portal_data import OFFER, Portal, page_token, sign_in

ELSEWHERE = "https://evil.example"
WRITES = {"POST", "PUT", "DELETE", "PATCH"}
# Endpoints that change nothing and take no credential (the policy calculator).
OPEN = {"/api/v1/calculator"}


def cookie_client(portal: Portal, user: str) -> tuple[TestClient, str]:
    client = sign_in(portal.client(), user)
    return client, page_token(client, "/home")


def offer_of(client: TestClient, **headers: str) -> dict[str, object]:
    rows = client.get("/api/v1/records", params={"policy_id": OFFER}, headers=headers).json()
    return dict(rows[0])


def test_a_cookie_write_from_another_site_is_refused_even_with_the_token(portal: Portal) -> None:
    """Regression: the API checked the X-CSRF-Token header but not where the request came
    from; a page elsewhere holding a leaked token claimed offers with the visitor's
    cookie."""
    client, token = cookie_client(portal, "ent2")
    record = offer_of(client)["id"]
    for origin in (ELSEWHERE, "null", "http://testserver.evil.example"):
        refused = client.post(
            f"/api/v1/records/{record}/claim",
            headers={"X-CSRF-Token": token, "Origin": origin},
        )
        assert refused.status_code == 403, (origin, refused.text)
        assert "another site" in refused.json()["detail"]
    referred = client.post(
        f"/api/v1/records/{record}/claim",
        headers={"X-CSRF-Token": token, "Referer": f"{ELSEWHERE}/page"},
    )
    assert referred.status_code == 403
    assert offer_of(client)["status"] == "offered"  # nothing was claimed
    same = client.post(
        f"/api/v1/records/{record}/claim",
        headers={"X-CSRF-Token": token, "Origin": "http://testserver"},
    )
    assert same.status_code in (200, 409), same.text  # reached the service


def test_a_bearer_call_is_not_concerned_by_its_origin(portal: Portal) -> None:
    bearer = {"Authorization": f"Bearer {portal.token('ent3')}"}
    client = portal.client()
    record = offer_of(client, **bearer)["id"]
    made = client.post(f"/api/v1/records/{record}/claim", headers={**bearer, "Origin": ELSEWHERE})
    assert made.status_code in (200, 409), made.text
    assert "another site" not in made.text


def test_every_state_changing_endpoint_refuses_a_cookie_call_from_another_site(
    portal: Portal,
) -> None:
    client, token = cookie_client(portal, "ent4")
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    routes = [
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method.upper() in WRITES and path not in OPEN
    ]
    assert len(routes) >= 25
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(method, url, headers={"X-CSRF-Token": token, "Origin": ELSEWHERE})
        assert response.status_code == 403, (method, path, response.text)


def test_a_form_from_another_site_is_refused_too(portal: Portal) -> None:
    client, token = cookie_client(portal, "ent5")
    refused = client.post(
        "/logout",
        data={"csrf_token": token},
        headers={"Origin": ELSEWHERE},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still signed in
