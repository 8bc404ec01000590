"""Every enterprise-scoped endpoint and page, tried with ANOTHER enterprise's token and
session, and anonymously: refused (403/404, or sign in first), and nothing leaked."""

from __future__ import annotations

import pytest
from portal_data import APPLY, AUTO, OFFER, Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.delivery.feedback_models import CorrectionRequest, Rating
from huiqi.delivery.models import Attachment, Entitlement, Grant, Notification

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
    attachment = client.post(
        f"/api/v1/records/{application.json()[0]['id']}/attachments",
        files={"file": ("营业执照.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers=token,
    )
    assert attachment.status_code == 200, attachment.text
    return {
        "attachment": attachment.json(),
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
    grant, attachment = victim["grant"], victim["attachment"]
    assert isinstance(offer, dict) and isinstance(message, dict)
    assert isinstance(application, dict) and isinstance(grant, dict)
    assert isinstance(attachment, dict)
    return [
        ("GET", "/api/v1/records", {"uscc": uscc}),
        ("GET", "/api/v1/grants", {"uscc": uscc}),
        ("POST", f"/api/v1/records/{offer['id']}/claim", {}),
        ("POST", f"/api/v1/records/{application['id']}/submit", {}),
        ("GET", "/api/v1/inbox", {"uscc": uscc}),
        ("POST", f"/api/v1/inbox/{message['id']}/read", {"uscc": uscc}),
        ("POST", f"/api/v1/inbox/{message['id']}/read", {}),  # as if it were the intruder's
        ("GET", f"/api/v1/policies/{OFFER}/explain", {"uscc": uscc}),
        ("GET", f"/api/v1/grants/{grant['id']}/notice.pdf", {}),
        ("GET", f"/api/v1/records/{application['id']}/attachments", {}),
        ("GET", f"/api/v1/attachments/{attachment['id']}", {}),
        ("DELETE", f"/api/v1/attachments/{attachment['id']}", {}),
    ]


def _counts(portal: Portal) -> tuple[int, int, int, int]:
    """Grants, messages read, applications submitted, attachments: what a refused call
    must not change."""
    with portal.factory() as s:
        grants = s.scalar(select(func.count()).select_from(Grant)) or 0
        read = s.scalar(select(func.count()).where(Notification.read_at.is_not(None))) or 0
        submitted = s.scalar(select(func.count()).where(Entitlement.status == "submitted")) or 0
        files = s.scalar(select(func.count()).select_from(Attachment)) or 0
    return grants, read, submitted, files


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
    offer, application, grant = victim["offer"], victim["application"], victim["grant"]
    attachment = victim["attachment"]
    assert isinstance(offer, dict) and isinstance(application, dict)
    assert isinstance(grant, dict) and isinstance(attachment, dict)
    before = _counts(portal)
    for method, path, params in api_calls(victim):
        response = client.request(method, path, params=params, headers={"X-CSRF-Token": token})
        assert response.status_code in (403, 404), (method, path, response.text)
    pages = [
        ("GET", "/home", {"uscc": uscc}, None),
        ("GET", "/grants", {"uscc": uscc}, None),
        ("GET", "/inbox", {"uscc": uscc}, None),
        ("GET", f"/policies/{OFFER}", {"uscc": uscc}, None),
        ("GET", f"/grants/{grant['id']}/notice.pdf", {}, None),
        ("GET", f"/attachments/{attachment['id']}", {}, None),
        ("POST", f"/attachments/{attachment['id']}/remove", {}, {"csrf_token": token}),
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
    upload = client.post(  # a file into the owner's application, from the policy page's form
        f"/policies/{APPLY}/attachments",
        params={"record_id": str(application["id"])},
        data={"csrf_token": token},
        files={"file": ("x.pdf", b"%PDF-1.4\n", "application/pdf")},
        follow_redirects=False,
    )
    assert upload.status_code == 403, upload.text
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


def enterprise_calls(victim: dict[str, object]) -> list[tuple[str, str, dict[str, str], object]]:
    """The enterprise pages' API twins (my data, corrections, ratings, near misses), each
    naming the owner's enterprise or the owner's grant."""
    uscc, grant = str(victim["uscc"]), victim["grant"]
    assert isinstance(grant, dict)
    return [
        ("GET", "/api/v1/my-data", {"uscc": uscc}, None),
        ("GET", "/api/v1/near-misses", {"uscc": uscc}, None),
        ("GET", "/api/v1/corrections", {"uscc": uscc}, None),
        (
            "POST",
            "/api/v1/corrections",
            {},
            {"uscc": uscc, "field": "insured_employees", "year": 2025, "value": 1},
        ),
        ("POST", "/api/v1/ratings", {}, {"grant_id": grant["id"], "stars": 1}),
    ]


def _reports(portal: Portal) -> tuple[int, int]:
    """Correction requests and ratings: what a refused call must not add."""
    with portal.factory() as s:
        corrections = s.scalar(select(func.count()).select_from(CorrectionRequest)) or 0
        ratings = s.scalar(select(func.count()).select_from(Rating)) or 0
    return corrections, ratings


def test_another_enterprise_cannot_read_report_or_rate_for_the_owner(
    portal: Portal, victim: dict[str, object]
) -> None:
    uscc, grant = str(victim["uscc"]), victim["grant"]
    assert isinstance(grant, dict)
    before = _reports(portal)
    api = portal.client()
    headers = {"Authorization": f"Bearer {portal.token(f'ent{INTRUDER}')}"}
    for method, path, params, body in enterprise_calls(victim):
        response = api.request(method, path, params=params, json=body, headers=headers)
        assert response.status_code in (403, 404), (method, path, response.text)
        assert not any(s in response.text for s in secrets_of(victim)), path
    client = sign_in(portal.client(), f"ent{INTRUDER}")
    token = page_token(client, "/policies")
    pages = [
        ("GET", "/my-data", {"uscc": uscc}, None),
        ("GET", "/my-data/correct", {"uscc": uscc, "field": "insured_employees"}, None),
        ("GET", "/almost", {"uscc": uscc}, None),
        ("GET", f"/grants/{grant['id']}/rate", {}, None),
        ("GET", f"/grants/{grant['id']}/rate", {"uscc": uscc}, None),
        (
            "POST",
            "/my-data/correct",
            {},
            {"uscc": uscc, "field": "insured_employees", "year": "2025", "value": "1"}
            | {"csrf_token": token},
        ),
        (
            "POST",
            "/rate",
            {},
            {"kind": "grant", "target": str(grant["id"]), "stars": "1", "csrf_token": token},
        ),
    ]
    for method, path, params, form in pages:
        response = client.request(method, path, params=params, data=form, follow_redirects=False)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert not any(s in response.text for s in secrets_of(victim)), path
    assert _reports(portal) == before
    # The session's own API calls too (with the CSRF header on writes).
    for method, path, params, body in enterprise_calls(victim):
        response = client.request(
            method, path, params=params, json=body, headers={"X-CSRF-Token": token}
        )
        assert response.status_code in (403, 404), (method, path, response.text)
    assert _reports(portal) == before


@pytest.fixture(scope="module")
def pending(portal: Portal, victim: dict[str, object]) -> dict[str, int]:
    """The owner's submitted application and open correction request: what officers decide."""
    client = portal.client()
    owner = {"Authorization": f"Bearer {portal.token(f'ent{OWNER}')}"}
    application = victim["application"]
    assert isinstance(application, dict)
    sent = client.post(f"/api/v1/records/{application['id']}/submit", headers=owner)
    assert sent.status_code == 200, sent.text
    made = client.post(
        "/api/v1/corrections",
        json={"field": "insured_employees", "year": 2025, "value": 20},
        headers=owner,
    )
    assert made.status_code == 200, made.text
    return {"record": int(application["id"]), "correction": int(made.json()["id"])}


# Every officer action, with the users that must be refused it: the wrong role, the right
# role in another scope (a reviewer of another district), and enterprises (the owner too).
ENTERPRISES = [f"ent{OWNER}", f"ent{INTRUDER}"]
REVIEW_REFUSED = ["reviewer-elsewhere", "author", "steward", "finance", *ENTERPRISES]
DECIDE_REFUSED = ["officer", "reviewer-elsewhere", "author", "finance", *ENTERPRISES]


def officer_actions(pending: dict[str, int]) -> list[tuple[list[str], str, str, object, dict]]:
    """(refused users, API path, page path, API body, page form) of each officer action."""
    record, correction = pending["record"], pending["correction"]
    return [
        (REVIEW_REFUSED, f"/api/v1/applications/{record}/approve", "", None, {}),
        (
            REVIEW_REFUSED,
            f"/api/v1/applications/{record}/reject",
            f"/console/applications/{record}/reject",
            {"reason": "不符合"},
            {"reason": "不符合"},
        ),
        (
            REVIEW_REFUSED,
            f"/api/v1/applications/{record}/approve",
            f"/console/applications/{record}/approve",
            None,
            {},
        ),
        (
            DECIDE_REFUSED,
            f"/api/v1/corrections/{correction}/decide",
            f"/console/corrections/{correction}/decide",
            {"accept": True, "reason": "核实无误"},
            {"decision": "accept", "reason": "核实无误"},
        ),
    ]


def _decisions(portal: Portal, pending: dict[str, int]) -> tuple[str, str, int]:
    with portal.factory() as s:
        record = s.get(Entitlement, pending["record"])
        correction = s.get(CorrectionRequest, pending["correction"])
        grants = s.scalar(select(func.count()).select_from(Grant)) or 0
        assert record is not None and correction is not None
        return record.status, correction.status, grants


def test_every_officer_action_is_refused_to_the_wrong_role_or_scope(
    portal: Portal, pending: dict[str, int]
) -> None:
    before = _decisions(portal, pending)
    assert before[:2] == ("submitted", "open")
    for refused, api_path, page_path, body, form in officer_actions(pending):
        for user in refused:
            headers = {"Authorization": f"Bearer {portal.token(user)}"}
            response = portal.client().post(api_path, json=body, headers=headers)
            assert response.status_code == 403, (user, api_path, response.text)
            if page_path:
                client = sign_in(portal.client(), user)
                token = page_token(client, "/policies")
                page = client.post(
                    page_path, data=form | {"csrf_token": token}, follow_redirects=False
                )
                assert page.status_code == 403, (user, page_path, page.status_code)
    assert _decisions(portal, pending) == before
    # The right officers can: the refusals above were about who asked, not the request.
    client = sign_in(portal.client(), "officer")
    token = page_token(client, "/console/applications")
    approved = client.post(
        f"/console/applications/{pending['record']}/approve",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    # Regression: deciding it again was refused under the title "Cannot claim".
    again = portal.client().post(
        f"/api/v1/applications/{pending['record']}/approve",
        headers={"Authorization": f"Bearer {portal.token('officer')}"},
    )
    assert again.status_code == 409
    assert again.json()["error"] == "Cannot do that", again.json()
    steward = {"Authorization": f"Bearer {portal.token('steward')}"}
    decided = portal.client().post(
        f"/api/v1/corrections/{pending['correction']}/decide",
        json={"accept": False, "reason": "以社保中心数据为准"},
        headers=steward,
    )
    assert decided.status_code == 200
    assert _decisions(portal, pending)[:2] == ("granted", "rejected")


def test_the_rating_form_is_refused_to_officers(portal: Portal, victim: dict[str, object]) -> None:
    """Regression: a policy officer opening a grant's rating page in its scope was shown the
    enterprise's form ("您的满意度如何？"), which its POST then refused."""
    grant = victim["grant"]
    assert isinstance(grant, dict)
    for user in ("officer", "finance", "steward"):
        client = sign_in(portal.client(), user)
        response = client.get(f"/grants/{grant['id']}/rate", follow_redirects=False)
        assert response.status_code == 403, (user, response.status_code)
        assert 'name="stars"' not in response.text
    # Nor does its grants page offer the link (the enterprise's does).
    officer = sign_in(portal.client(), "officer").get("/grants")
    assert officer.status_code == 200 and str(grant["id"]) in officer.text
    assert 'class="rate"' not in officer.text
    owner = sign_in(portal.client(), f"ent{OWNER}")
    assert owner.get(f"/grants/{grant['id']}/rate").status_code == 200
    assert 'class="rate"' in owner.get("/grants").text


def test_officer_reads_are_refused_to_the_wrong_role(portal: Portal) -> None:
    """The queues and the dashboard: each listing refuses the roles it is not for."""
    refused = [
        ("/api/v1/dashboard/totals", ["steward", *ENTERPRISES]),
        ("/api/v1/dashboard/indicators", ["steward", *ENTERPRISES]),
        ("/console/dashboard", ["steward", *ENTERPRISES]),
        ("/api/v1/corrections", ["officer", "author", "finance"]),
        ("/console/corrections", ["officer", "author", "finance"]),
        ("/api/v1/applications", ["steward"]),
        ("/console/applications", ["steward"]),
        ("/console/flagged", ["steward"]),
    ]
    for path, users in refused:
        for user in users:
            client = sign_in(portal.client(), user)
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 403, (user, path, response.status_code)


def test_officer_actions_need_the_forms_csrf_token(portal: Portal, pending: dict[str, int]) -> None:
    before = _decisions(portal, pending)
    client = sign_in(portal.client(), "officer")
    for path in (
        f"/console/applications/{pending['record']}/reject",
        f"/console/corrections/{pending['correction']}/decide",
    ):
        response = client.post(path, data={"reason": "x", "decision": "accept"})
        assert response.status_code == 403, path
    api = client.post(f"/api/v1/applications/{pending['record']}/reject", json={"reason": "x"})
    assert api.status_code == 403 and "X-CSRF-Token" in api.json()["detail"]
    assert _decisions(portal, pending) == before


@pytest.mark.parametrize("reason", ["   ", "\t\n", "\u3000"])
def test_a_reason_of_spaces_is_a_422_naming_the_field(
    portal: Portal, pending: dict[str, int], reason: str
) -> None:
    """Regression (QA, 2026-12-02): a rejection whose reason was only spaces passed the
    body's check and came back from the service as a 409 'Cannot do that'."""
    before = _decisions(portal, pending)
    bearer = {"Authorization": f"Bearer {portal.token('officer')}"}
    client = portal.client()
    got = client.post(
        f"/api/v1/applications/{pending['record']}/reject", json={"reason": reason}, headers=bearer
    )
    assert got.status_code == 422, got.text
    (problem,) = got.json()["detail"]
    assert problem["loc"][-1] == "reason" and "write the reason" in problem["msg"], problem
    assert _decisions(portal, pending) == before


def test_a_record_posted_to_another_policys_page_is_refused(portal: Portal) -> None:
    """Regression (QA): POST /policies/<A>/submit with a record of policy B submitted it and
    said so on A's page; /policies/<A>/claim claimed B's offer the same way."""
    user = f"ent{INTRUDER}"
    headers = {"Authorization": f"Bearer {portal.token(user)}"}
    api = portal.client()
    offer = api.get("/api/v1/records", params={"policy_id": OFFER}, headers=headers).json()[0]
    form = api.get("/api/v1/records", params={"policy_id": APPLY}, headers=headers).json()[0]
    client = sign_in(portal.client(), user)
    token = page_token(client, "/policies")
    before = _counts(portal)
    for path, record in ((f"/policies/{APPLY}/claim", offer), (f"/policies/{OFFER}/submit", form)):
        response = client.post(
            path, data={"record_id": str(record["id"]), "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 409, (path, response.status_code)
        assert f"不属于 {path.split('/')[2]}" in response.text, (
            response.text
        )  # in the page's language
    assert _counts(portal) == before
