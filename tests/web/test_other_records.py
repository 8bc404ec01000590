"""An enterprise that names another's record learns nothing about it: not its kind (an
offer, not an application) nor its status, only that it may not act on it (403), the
same answer as for that enterprise's application."""

from __future__ import annotations

from portal_data import APPLY, OFFER, Portal


def _records(portal: Portal, uscc: str) -> dict[str, int]:
    client, token = portal.client(), portal.token("officer")
    rows = client.get(
        "/api/v1/records", params={"uscc": uscc}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    return {r["policy_id"]: r["id"] for r in rows}


def test_another_enterprises_offer_or_application_is_refused_alike(portal: Portal) -> None:
    """Regression: submitting, attaching to or rating another enterprise's offer answered
    'record N is not an application (申报)' (409 / 404) or "record N is 'offered'" (400)
    before the access check, telling the caller the record's kind and status."""
    other = _records(portal, portal.usccs[6])
    client = portal.client()
    headers = {"Authorization": f"Bearer {portal.token('ent2')}"}
    pdf = {"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    for policy in (OFFER, APPLY):
        record = other[policy]
        answers = [
            client.post(f"/api/v1/records/{record}/submit", json={}, headers=headers),
            client.post(f"/api/v1/records/{record}/attachments", files=pdf, headers=headers),
            client.get(f"/api/v1/records/{record}/attachments", headers=headers),
            client.post(
                "/api/v1/ratings",
                json={"entitlement_id": record, "stars": 1, "comment": "x"},
                headers=headers,
            ),
        ]
        for answer in answers:
            assert answer.status_code == 403, (policy, answer.request.url, answer.text)
            assert "offered" not in answer.text and "not an application" not in answer.text
    # A reviewer out of scope is refused before being told the record is no application.
    elsewhere = {"Authorization": f"Bearer {portal.token('reviewer-elsewhere')}"}
    refused = client.post(f"/api/v1/applications/{other[OFFER]}/approve", headers=elsewhere)
    assert refused.status_code == 403, refused.text
