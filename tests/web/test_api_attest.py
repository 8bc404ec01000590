"""An offer or application that asks for the enterprise's commitments (告知承诺): the API's
refusal says how to give them there, and giving them claims or submits."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from helpers import policy_yaml
from httpx import Response
from portal_data import Portal, page_token, sign_in
from pypdf import PdfReader

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.publish import deliver
from huiqi.delivery.versions import publish_text

COMMITMENT = (
    "  - id: no_incident\n"
    "    label: {zh: 承诺近三年未发生重大安全事故, en: No major incident in three years}\n"
    "    attested: true\n"
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _with_commitment(policy_id: str, delivery: str) -> str:
    text = policy_yaml(policy_id, delivery=delivery)
    return text.replace("amount:\n", COMMITMENT + "amount:\n", 1)


def _record(portal: Portal, policy_id: str, uscc: str) -> int:
    delivery = "confirm" if "offer" in policy_id else "apply"
    text = _with_commitment(policy_id, delivery)
    pv, _ = publish_text(portal.factory, text, f"{policy_id}.yaml", actor=OFFICER)
    deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)
    with transaction(portal.factory) as s:
        (row,) = ledger.list_records(s, actor=OFFICER, uscc=uscc, policy_id=policy_id)
    return row.id


def test_a_claim_that_needs_commitments_says_to_send_attest(portal: Portal) -> None:
    uscc, token = portal.usccs[6], portal.token("ent6")
    record = _record(portal, "web-attest-offer", uscc)
    client = portal.client()
    url = f"/api/v1/records/{record}/claim"
    refused = client.post(url, headers=bearer(token))
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "no_incident" in detail and '{"attest": true}' in detail
    claimed = client.post(url, headers=bearer(token), json={"attest": True})
    assert claimed.status_code == 200 and claimed.json()["grant_id"]
    # The policy page and the grant's notice say what the enterprise vouched for, when.
    page = sign_in(portal.client(), "ent6").get("/policies/web-attest-offer")
    assert "作出告知承诺，承诺符合：承诺近三年未发生重大安全事故" in page.text
    # Who confirmed it is said (a park operator may claim for its enterprises).
    assert "（由用户 ent6 确认）" in page.text
    # Regression: the commitment was counted as a condition not met ("4 of 5"), in the
    # offer's message and on the page, even once it was made.
    assert "另有 1 项已由贵企业承诺" in page.text
    inbox = client.get("/api/v1/inbox", headers=bearer(token)).json()
    offer = next(m for m in inbox if m["kind"] == "offer" and "web-attest-offer" in m["subject"])
    assert "另有1项由贵企业作出告知承诺即可" in offer["body"], offer
    notice = client.get(
        f"/api/v1/grants/{claimed.json()['grant_id']}/notice.pdf", headers=bearer(token)
    )
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.content)).pages)
    assert "企业承诺（告知承诺" in text and "承诺近三年未发生重大安全事故" in text.replace("\n", "")


def test_a_submission_that_needs_commitments_says_to_send_attest(portal: Portal) -> None:
    uscc, token = portal.usccs[7], portal.token("ent7")
    record = _record(portal, "web-attest-apply", uscc)
    client = portal.client()
    url = f"/api/v1/records/{record}/submit"
    refused = client.post(url, headers=bearer(token))
    assert refused.status_code == 409 and '{"attest": true}' in refused.json()["detail"]
    submitted = client.post(url, headers=bearer(token), json={"attest": True})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    browser = sign_in(portal.client(), "ent7")
    browser.get("/lang/en")
    page = browser.get("/policies/web-attest-apply")
    assert "your enterprise committed (告知承诺) that it meets: No major incident" in page.text
    # Regression (QA): the checklist still showed the commitment as one to confirm (☐).
    assert "state-committed" in page.text and "state-to_confirm" not in page.text


def _unticked(
    portal: Portal, policy_id: str, n: int, action: str
) -> tuple[TestClient, str, dict[str, str], Response]:
    """Enterprise ``n``'s record of a new policy with a commitment, posted to the policy
    page's ``action`` without ticking it: (its signed-in client, the URL, the form, the
    refusal, a 409)."""
    record = _record(portal, policy_id, portal.usccs[n])
    client = sign_in(portal.client(), f"ent{n}")
    form = {"record_id": str(record), "csrf_token": page_token(client, "/policies")}
    url = f"/policies/{policy_id}/{action}"
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    return client, url, form, refused


def test_the_zh_portal_names_a_missing_commitment_by_its_label_in_chinese(
    portal: Portal,
) -> None:
    """Regression: the portal's claim refusals were in English on the zh-CN page ("the
    form names no offer", "this offer needs the enterprise's commitment … on:
    no_incident"), the second naming the criterion's id instead of its label."""
    client, url, form, refused = _unticked(portal, "web-attest-offer-page", 6, "claim")
    token = form["csrf_token"]
    assert "领取此项需企业作出告知承诺：承诺近三年未发生重大安全事故" in refused.text
    assert "no_incident" not in refused.text and "commitment" not in refused.text
    nameless = client.post(url, data={"csrf_token": token})
    assert "表单未指明要领取的事项" in nameless.text
    assert "names no offer" not in nameless.text
    client.cookies.set("huiqi_lang", "en")
    english = client.post(url, data=form)
    assert "commitment (告知承诺) on: No major incident in three years;" in english.text


def test_the_zh_portal_names_a_submissions_missing_commitment_by_its_label(
    portal: Portal,
) -> None:
    """Regression (QA): submitting an application without ticking its commitment answered
    "无法完成 confirm the commitments (告知承诺) on: no_other_funding" on both languages'
    pages: English, and the criterion's id instead of its label."""
    client, url, form, refused = _unticked(portal, "web-attest-apply-page", 7, "submit")
    assert "提交此申报需企业作出告知承诺：承诺近三年未发生重大安全事故" in refused.text
    assert "no_incident" not in refused.text and "commitment" not in refused.text
    client.cookies.set("huiqi_lang", "en")
    english = client.post(url, data=form)
    assert (
        "this application needs the enterprise's commitment (告知承诺) on: No major incident"
        in english.text.replace("&#39;", "'")
    )


def test_the_review_queue_names_the_commitments_by_their_labels(portal: Portal) -> None:
    """Regression (QA): /console/applications showed "企业告知承诺事项：no_related_party",
    the criterion's id."""
    policy_id = "web-attest-apply-queue"
    uscc, token = portal.usccs[5], portal.token("ent5")
    record = _record(portal, policy_id, uscc)
    sent = portal.client().post(
        f"/api/v1/records/{record}/submit", headers=bearer(token), json={"attest": True}
    )
    assert sent.status_code == 200, sent.text
    queue = sign_in(portal.client(), "officer").get("/console/applications").text
    assert "承诺近三年未发生重大安全事故" in queue and "no_incident" not in queue
