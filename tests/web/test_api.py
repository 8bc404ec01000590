"""/api/v1, endpoint by endpoint, with API tokens (and the session cookie where it matters)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from portal_data import (
    APPLY,
    AUTO,
    LIBRARY_POLICY,
    OFFER,
    Portal,
    add_user,
    page_token,
    sign_in,
)
from sqlalchemy import select

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.models import ApiToken
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_catalogue_lists_every_published_policy_to_anyone(portal: Portal) -> None:
    body = portal.client().get("/api/v1/policies").json()
    assert sorted(p["policy_id"] for p in body) == sorted([AUTO, OFFER, APPLY, LIBRARY_POLICY])
    modes = {p["policy_id"]: p["mode"] for p in body}
    assert (modes[AUTO], modes[OFFER], modes[APPLY]) == ("auto", "confirm", "apply")


def test_search_finds_chinese_by_character_pairs(portal: Portal) -> None:
    client = portal.client()
    for query in ("研发", "研发费用", "费用 研发"):
        found = [p["policy_id"] for p in client.get("/api/v1/policies", params={"q": query}).json()]
        assert found == [LIBRARY_POLICY], query
    assert client.get("/api/v1/policies", params={"q": "研究费"}).json() == []
    assert {
        p["policy_id"] for p in client.get("/api/v1/policies", params={"q": "测试政策"}).json()
    } == {
        AUTO,
        OFFER,
        APPLY,
    }


def test_filters_narrow_the_catalogue_and_bad_values_say_what_is_expected(portal: Portal) -> None:
    client = portal.client()

    def ids(**params: str) -> set[str]:
        response = client.get("/api/v1/policies", params=params)
        assert response.status_code == 200, response.text
        return {p["policy_id"] for p in response.json()}

    assert ids(mode="confirm") == {OFFER}
    assert ids(department="测试局") == {AUTO, OFFER, APPLY}
    assert ids(department="测试局", subunits="true") == {AUTO, OFFER, APPLY}
    assert ids(department="测试") == set()  # one department, named exactly
    assert ids(level="district", district="310115") >= {AUTO, OFFER, APPLY}
    assert LIBRARY_POLICY not in ids(district="310115")  # a Jiading district policy
    assert ids(deadline_after="2099-01-01") == set()
    refused = client.get("/api/v1/policies", params={"mode": "sometimes"})
    assert refused.status_code == 400 and "auto, confirm, apply" in refused.json()["detail"]
    bad_date = client.get("/api/v1/policies", params={"deadline_after": "31/12/2026"})
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.json()["detail"]


def test_a_policy_has_its_criteria_and_source_and_an_unknown_one_is_404(portal: Portal) -> None:
    client = portal.client()
    body = client.get(f"/api/v1/policies/{OFFER}").json()
    assert body["criteria"][0]["id"] == "insured" and body["source"]["document"] == "测试文件"
    assert client.get("/api/v1/policies/no-such-policy").status_code == 404


def test_me_records_and_grants_are_the_enterprises_own(portal: Portal) -> None:
    client, token = portal.client(), portal.token("ent1")
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["enterprise"] == portal.usccs[1]
    records = client.get("/api/v1/records", headers=bearer(token)).json()
    assert {r["uscc"] for r in records} == {portal.usccs[1]}
    assert {r["policy_id"]: r["status"] for r in records} == {
        AUTO: "granted",
        OFFER: "offered",
        APPLY: "application_open",
    }
    grants = client.get("/api/v1/grants", headers=bearer(token)).json()
    assert [(g["policy_id"], g["amount_fen"]) for g in grants] == [(AUTO, 3 * 1000 * 100)]
    assert grants[0]["amount_yuan"] == "3000.00"


def test_a_usccs_case_does_not_matter_to_any_listing(portal: Portal) -> None:
    """Regression: /records, /grants and /applications compared ``uscc`` as typed, so an
    enterprise asking for its own rows in lower case was refused (403), and /corrections
    answered an empty list, while the inbox and my-data upper-cased it."""
    client, token = portal.client(), portal.token("ent1")
    own = portal.usccs[1]
    for path in ("/api/v1/records", "/api/v1/grants", "/api/v1/applications"):
        upper = client.get(path, params={"uscc": own}, headers=bearer(token))
        lower = client.get(path, params={"uscc": own.lower()}, headers=bearer(token))
        assert upper.status_code == lower.status_code == 200, (path, lower.text)
        assert upper.json() == lower.json() and upper.json(), path
    other = portal.usccs[2].lower()
    refused = client.get("/api/v1/records", params={"uscc": other}, headers=bearer(token))
    assert refused.status_code == 403


def test_claiming_twice_and_at_once_gives_one_grant(portal: Portal) -> None:
    client, token = portal.client(), portal.token("ent2")
    offer = client.get(
        "/api/v1/records", params={"policy_id": OFFER}, headers=bearer(token)
    ).json()[0]
    url = f"/api/v1/records/{offer['id']}/claim"
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: client.post(url, headers=bearer(token)), range(4)))
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["grant_id"] for r in results}) == 1
    again = client.post(url, headers=bearer(token)).json()
    assert again["already"] and again["grant_id"] == results[0].json()["grant_id"]
    grants = client.get("/api/v1/grants", params={"policy_id": OFFER}, headers=bearer(token))
    assert len(grants.json()) == 1


def test_claiming_what_is_not_an_offer_is_not_found_as_one(portal: Portal) -> None:
    """An application claimed is no offer: a 404 (it was a 409 until qa5), as an offer
    submitted is no application."""
    client, token = portal.client(), portal.token("ent3")
    record = client.get(
        "/api/v1/records", params={"policy_id": APPLY}, headers=bearer(token)
    ).json()[0]
    response = client.post(f"/api/v1/records/{record['id']}/claim", headers=bearer(token))
    assert response.status_code == 404 and "not an offer" in response.json()["detail"]


def test_a_prefilled_application_is_submitted_once(portal: Portal) -> None:
    client, token = portal.client(), portal.token("ent3")
    record = client.get(
        "/api/v1/records", params={"policy_id": APPLY}, headers=bearer(token)
    ).json()[0]
    url = f"/api/v1/records/{record['id']}/submit"
    first = client.post(url, headers=bearer(token)).json()
    second = client.post(url, headers=bearer(token)).json()
    assert (first["status"], first["message"]) == ("submitted", "submitted")
    assert (second["status"], second["message"]) == ("submitted", "already submitted")


def test_the_inbox_lists_messages_and_marks_one_read(portal: Portal) -> None:
    client, token = portal.client(), portal.token("ent4")
    messages = client.get("/api/v1/inbox", headers=bearer(token)).json()
    assert messages and all(m["uscc"] == portal.usccs[4] for m in messages)
    first = messages[0]["id"]
    marked = client.post(f"/api/v1/inbox/{first}/read", headers=bearer(token)).json()
    assert marked["read_at"] is not None
    unread = client.get("/api/v1/inbox", params={"unread_only": True}, headers=bearer(token))
    assert first not in {m["id"] for m in unread.json()}


def test_the_inbox_is_read_to_its_end_a_page_at_a_time(portal: Portal) -> None:
    """Regression (QA): the inbox took a ``limit`` and no cursor, so an integrator could
    not reach the messages past the first 1000; ``before_id`` is its keyset."""
    client, token = portal.client(), portal.token("ent4")
    whole = client.get("/api/v1/inbox", headers=bearer(token)).json()
    assert len(whole) >= 2
    paged: list[int] = []
    params: dict[str, object] = {"limit": 1}
    while page := client.get("/api/v1/inbox", params=params, headers=bearer(token)).json():
        paged += [m["id"] for m in page]
        params = {"limit": 1, "before_id": page[-1]["id"]}
    assert paged == [m["id"] for m in whole]
    # Another enterprise's message is no cursor of this inbox.
    other = client.get("/api/v1/inbox", headers=bearer(portal.token("ent5"))).json()[0]["id"]
    refused = client.get("/api/v1/inbox", params={"before_id": other}, headers=bearer(token))
    assert refused.status_code == 404, refused.text
    assert refused.json()["detail"] == f"no message {other} in the inbox of {portal.usccs[4]}"


def test_explain_gives_each_criterion_with_its_value_source_and_year(portal: Portal) -> None:
    client, token = portal.client(), portal.token("ent5")
    body = client.get(f"/api/v1/policies/{OFFER}/explain", headers=bearer(token)).json()
    assert body["status"] == "eligible" and body["uscc"] == portal.usccs[5]
    criterion = body["criteria"][0]
    assert criterion["state"] == "met" and criterion["values"] == {"insured_employees__2025": 7}
    assert body["fields"]["insured_employees__2025"]["year"] == 2025
    assert body["amount"]["amount_fen"] == 7 * 1000 * 100
    # Regression: an unknown policy was answered with the CLI's 'huiqi versions'.
    missing = client.get("/api/v1/policies/no-such-policy/explain", headers=bearer(token))
    assert missing.status_code == 404 and "huiqi" not in missing.text, missing.text


def test_an_officer_explains_only_the_policies_its_scope_covers(portal: Portal) -> None:
    """Regression: any policy officer, whatever its district, was shown an enterprise's
    values against any policy (the near misses were already cut to the officer's scope)."""
    client = portal.client()
    path = f"/api/v1/policies/{OFFER}/explain"  # a policy of district 310115
    params = {"uscc": portal.usccs[5]}
    elsewhere = client.get(path, params=params, headers=bearer(portal.token("reviewer-elsewhere")))
    assert elsewhere.status_code == 403, elsewhere.text
    assert "insured_employees" not in elsewhere.text
    everywhere = client.get(path, params=params, headers=bearer(portal.token("officer")))
    assert everywhere.status_code == 200 and everywhere.json()["uscc"] == portal.usccs[5]


def test_a_department_officer_explains_only_enterprises_its_policies_reach(
    portal: Portal,
) -> None:
    """Regression (QA): a reviewer of Jiading's science commission read any enterprise's
    tax figures through a Jiading policy, wherever the enterprise was registered."""
    add_user(
        portal, "jd-dept", [RoleGrant(Role.POLICY_REVIEWER, "department:嘉定区科学技术委员会")]
    )
    client, params = portal.client(), {"uscc": portal.usccs[5]}  # not of 310114
    path = f"/api/v1/policies/{LIBRARY_POLICY}/explain"  # a policy of district 310114
    refused = client.get(path, params=params, headers=bearer(portal.token("jd-dept")))
    assert refused.status_code == 403, refused.text
    assert "revenue" not in refused.text and "outside the region" in refused.text


def test_a_session_cookie_works_for_reads_and_needs_the_csrf_header_for_writes(
    portal: Portal,
) -> None:
    client = sign_in(portal.client(), "ent6")
    records = client.get("/api/v1/records", params={"policy_id": OFFER}).json()
    url = f"/api/v1/records/{records[0]['id']}/claim"
    refused = client.post(url)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert client.get("/api/v1/grants", params={"policy_id": OFFER}).json() == []
    token = page_token(client, "/policies")
    claimed = client.post(url, headers={"X-CSRF-Token": token})
    assert claimed.status_code == 200 and claimed.json()["grant_id"]


def test_a_bad_bearer_token_is_refused_with_401(portal: Portal) -> None:
    response = portal.client().get("/api/v1/records", headers=bearer("hq_not-a-token"))
    assert response.status_code == 401 and response.json()["error"] == "Please sign in"


def test_the_openapi_document_lists_every_endpoint(portal: Portal) -> None:
    paths = portal.client().get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/policies",
        "/api/v1/policies/{policy_id}",
        "/api/v1/me",
        "/api/v1/records",
        "/api/v1/grants",
        "/api/v1/records/{record_id}/claim",
        "/api/v1/records/{record_id}/submit",
        "/api/v1/records/{record_id}/withdraw",
        "/api/v1/inbox",
        "/api/v1/inbox/{message_id}/read",
        "/api/v1/policies/{policy_id}/explain",
        "/api/v1/calculator/questions",
        "/api/v1/calculator",
        "/api/v1/my-data",
        "/api/v1/corrections",
        "/api/v1/corrections/{request_id}/decide",
        "/api/v1/ratings",
        "/api/v1/near-misses",
        "/api/v1/applications",
        "/api/v1/applications/{record_id}/approve",
        "/api/v1/applications/{record_id}/reject",
        "/api/v1/records/{record_id}/review",
        "/api/v1/dashboard/indicators",
        "/api/v1/dashboard/totals",
        "/api/v1/grants/{grant_id}/notice.pdf",
        "/api/v1/records/{record_id}/attachments",
        "/api/v1/attachments/{attachment_id}",
        "/api/v1/request-categories",
        "/api/v1/request-files/{attachment_id}",
        "/api/v1/requests",
        "/api/v1/requests/stats",
        "/api/v1/requests/{request_id}",
        "/api/v1/requests/{request_id}/acknowledge",
        "/api/v1/requests/{request_id}/reply",
        "/api/v1/requests/{request_id}/transfer",
        "/api/v1/requests/{request_id}/rate",
        "/api/v1/requests/{request_id}/withdraw",
        "/api/v1/requests/{request_id}/close",
        "/api/v1/complaints/about-us",
        "/api/v1/complaints/complainants/{complainant_id}/decide",
        "/api/v1/complaints",
        "/api/v1/complaints/import",
        "/api/v1/complaints/queue",
        "/api/v1/complaints/stats",
        "/api/v1/finance/batches",
        "/api/v1/finance/batches/{batch_id}/files/{kind}",
        "/api/v1/finance/grants/{grant_id}/repay",
        "/api/v1/finance/payments",
        "/api/v1/console/policies",
        "/api/v1/console/policies/simulate",
        "/api/v1/console/policies/{policy_id}/draft",
        "/api/v1/console/policies/{policy_id}/draft/publish",
        "/api/v1/console/versions/{version_id}/retire",
        "/api/v1/console/jobs/{job_id}",
        "/api/v1/console/jobs/{job_id}/resume",
        "/api/v1/console/inbox",
        "/api/v1/console/inbox/{message_id}/read",
        "/api/v1/users",
        "/api/v1/users/{username}",
        "/api/v1/users/{username}/disable",
        "/api/v1/users/{username}/enable",
        "/api/v1/audit",
        "/api/v1/audit/verify",
        "/api/v1/snapshots",
        "/api/v1/imports",
        "/api/v1/imports/{ref}",
        "/api/v1/imports/{ref}/files/{name}",
    } == set(paths)
    assert set(paths["/api/v1/console/policies/{policy_id}/draft"]) == {"get", "put", "delete"}
    assert set(paths["/api/v1/attachments/{attachment_id}"]) == {"get", "delete"}
    assert set(paths["/api/v1/finance/batches"]) == {"get", "post"}
    assert (
        "application/pdf"
        in paths["/api/v1/grants/{grant_id}/notice.pdf"]["get"]["responses"]["200"]["content"]
    )


def test_an_action_with_a_token_an_admin_made_names_the_token_in_the_audit_log(
    portal: Portal,
) -> None:
    """Regression (QA, session 29): an admin can create a token for another user, and what
    was done with it was logged as that user alone. Each event now carries the token's id,
    whose own ``token_created`` event names the admin."""
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        made, secret = tokens.create_token(s, actor=admin, name="for ent7", username="ent7")
    client, own = portal.client(), portal.token("ent7")
    offer = client.get(
        "/api/v1/records", params={"policy_id": OFFER}, headers=bearer(secret)
    ).json()[0]
    claimed = client.post(f"/api/v1/records/{offer['id']}/claim", headers=bearer(secret))
    assert claimed.status_code == 200, claimed.text
    with portal.factory() as s:
        created = s.scalars(select(Event).where(Event.entity == f"token:{made.id}")).one()
        by_token = s.scalars(
            select(Event).where(Event.uscc == portal.usccs[7], Event.kind.in_(("claim", "grant")))
        ).all()
        own_id = s.scalars(select(ApiToken.id).where(ApiToken.name == "api test")).all()
    assert (created.actor, created.kind) == ("admin", "token_created")
    assert {e.kind for e in by_token} == {"claim", "grant"}
    assert {(e.actor, (e.data or {}).get("token_id")) for e in by_token} == {("ent7", made.id)}
    assert made.id not in own_id and own  # the user's own token is another credential
