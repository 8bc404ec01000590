"""Every enterprise-scoped endpoint and page, tried with ANOTHER enterprise's token and
session, and anonymously: refused (403/404, or sign in first), and nothing leaked."""

from __future__ import annotations

import pytest
from portal_data import APPLY, AUTO, OFFER, Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.delivery.models import Entitlement, Grant, Notification

OWNER, INTRUDER = 0, 7


@pytest.fixture(scope="module")
def victim(portal: Portal) -> dict[str, object]:
    """The owner's offer, grant and inbox message, as the owner sees them."""
    client = portal.client()
    token = {"Authorization": f"Bearer {portal.token(f'ent{OWNER}')}"}
    offer = client.get("/api/v1/records", params={"policy_id": OFFER}, headers=token).json()[0]
    grant = client.get("/api/v1/grants", headers=token).json()[0]
    message = client.get("/api/v1/inbox", headers=token).json()[0]
    application = client.get("/api/v1/records", params={"policy_id": APPLY}, headers=token)
    return {
        "uscc": portal.usccs[OWNER],
        "offer": offer,
        "grant": grant,
        "message": message,
        "application": application.json()[0],
    }


def secrets_of(victim: dict[str, object]) -> list[str]:
    """What must never reach the intruder: the owner's amounts, USCC-bound texts."""
    grant = victim["grant"]
    message = victim["message"]
    assert isinstance(grant, dict) and isinstance(message, dict)
    return [grant["amount_yuan"], message["subject"], message["body"]]


def api_calls(victim: dict[str, object]) -> list[tuple[str, str, dict[str, str]]]:
    uscc = str(victim["uscc"])
    offer, message, application = victim["offer"], victim["message"], victim["application"]
    assert isinstance(offer, dict) and isinstance(message, dict)
    assert isinstance(application, dict)
    return [
        ("GET", "/api/v1/records", {"uscc": uscc}),
        ("GET", "/api/v1/grants", {"uscc": uscc}),
        ("POST", f"/api/v1/records/{offer['id']}/claim", {}),
        ("POST", f"/api/v1/records/{application['id']}/submit", {}),
        ("GET", "/api/v1/inbox", {"uscc": uscc}),
        ("POST", f"/api/v1/inbox/{message['id']}/read", {"uscc": uscc}),
        ("POST", f"/api/v1/inbox/{message['id']}/read", {}),  # as if it were the intruder's
        ("GET", f"/api/v1/policies/{OFFER}/explain", {"uscc": uscc}),
    ]


def _counts(portal: Portal) -> tuple[int, int, int]:
    """Grants, messages read, applications submitted: what a refused call must not change."""
    with portal.factory() as s:
        grants = s.scalar(select(func.count()).select_from(Grant)) or 0
        read = s.scalar(select(func.count()).where(Notification.read_at.is_not(None))) or 0
        submitted = s.scalar(select(func.count()).where(Entitlement.status == "submitted")) or 0
    return grants, read, submitted


def test_another_enterprises_token_is_refused_everywhere(
    portal: Portal, victim: dict[str, object]
) -> None:
    client = portal.client()
    headers = {"Authorization": f"Bearer {portal.token(f'ent{INTRUDER}')}"}
    before = _counts(portal)
    for method, path, params in api_calls(victim):
        response = client.request(method, path, params=params, headers=headers)
        assert response.status_code in (403, 404), (method, path, params, response.text)
        assert not any(s in response.text for s in secrets_of(victim)), (path, response.text)
    assert _counts(portal) == before, "a refused call changed the ledger"
    # Listing without naming an enterprise shows only the intruder's own rows.
    own = client.get("/api/v1/records", headers=headers).json()
    assert {r["uscc"] for r in own} == {portal.usccs[INTRUDER]}


def test_another_enterprises_session_is_refused_on_every_page_and_api_call(
    portal: Portal, victim: dict[str, object]
) -> None:
    client = sign_in(portal.client(), f"ent{INTRUDER}")
    token = page_token(client, "/policies")
    uscc = str(victim["uscc"])
    offer, application = victim["offer"], victim["application"]
    assert isinstance(offer, dict) and isinstance(application, dict)
    before = _counts(portal)
    for method, path, params in api_calls(victim):
        response = client.request(method, path, params=params, headers={"X-CSRF-Token": token})
        assert response.status_code in (403, 404), (method, path, response.text)
    pages = [
        ("GET", "/home", {"uscc": uscc}, None),
        ("GET", "/grants", {"uscc": uscc}, None),
        ("GET", "/inbox", {"uscc": uscc}, None),
        ("GET", f"/policies/{OFFER}", {"uscc": uscc}, None),
        (
            "POST",
            f"/policies/{OFFER}/claim",
            {},
            {"record_id": str(offer["id"]), "csrf_token": token},
        ),
        (
            "POST",
            f"/policies/{APPLY}/submit",
            {},
            {"record_id": str(application["id"]), "csrf_token": token},
        ),
    ]
    for method, path, params, form in pages:
        response = client.request(method, path, params=params, data=form, follow_redirects=False)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert not any(s in response.text for s in secrets_of(victim)), path
    assert _counts(portal) == before


def test_anonymous_callers_are_asked_to_sign_in(portal: Portal, victim: dict[str, object]) -> None:
    client = portal.client()
    for method, path, params in api_calls(victim):
        response = client.request(method, path, params=params)
        assert response.status_code == 401, (path, response.text)
    for path in ("/home", "/inbox", "/grants"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    # The public policy page shows no enterprise's data to an anonymous visitor.
    public = client.get(f"/policies/{AUTO}", params={"uscc": victim["uscc"]})
    assert public.status_code == 200 and not any(s in public.text for s in secrets_of(victim))
