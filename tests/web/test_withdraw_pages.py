"""Taking back what was sent, and closing what is done, over the API and on the pages: an
enterprise withdraws its submitted application (申报) or its unanswered request (诉求); the
request's department closes it with a reason; others are refused; odd input is never a
server error."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import APPLY, Portal, page_token, sign_in
from test_attachments_pages import application_of, bearer


def _alerts(html: str) -> list[str]:
    return re.findall(r'<p class="(?:field-)?error"[^>]*>([^<]*)<', html)


def test_the_api_withdraws_a_submitted_application_which_then_cannot_be_decided(
    portal: Portal,
) -> None:
    api, owner = portal.client(), bearer(portal, "ent3")
    record = application_of(portal, 3)
    assert api.post(f"/api/v1/records/{record}/submit", headers=owner).status_code == 200
    other = api.post(f"/api/v1/records/{record}/withdraw", headers=bearer(portal, "ent4"))
    assert other.status_code == 403, other.text
    long = api.post(
        f"/api/v1/records/{record}/withdraw", json={"reason": "x" * 1001}, headers=owner
    )
    assert long.status_code == 422, long.text
    done = api.post(
        f"/api/v1/records/{record}/withdraw", json={"reason": "材料有误"}, headers=owner
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["message"]) == ("application_open", "withdrawn")
    again = api.post(f"/api/v1/records/{record}/withdraw", headers=owner)
    assert again.status_code == 200 and again.json()["message"].startswith("already withdrawn")
    officer = bearer(portal, "officer")
    decided = api.post(f"/api/v1/applications/{record}/approve", headers=officer)
    assert decided.status_code == 409, decided.text
    assert "was withdrawn by the enterprise" in decided.text
    queue = api.get("/api/v1/applications", params={"status": "submitted"}, headers=officer)
    assert record not in [a["record_id"] for a in queue.json()]
    inbox = api.get("/api/v1/inbox", headers=owner).json()
    assert any(m["subject"].endswith("申报已撤回") for m in inbox)


def test_the_policy_page_withdraws_a_submitted_application(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent5")
    record = application_of(portal, 5)
    api = portal.client()
    assert (
        api.post(f"/api/v1/records/{record}/submit", headers=bearer(portal, "ent5")).status_code
        == 200
    )
    page = client.get(f"/policies/{APPLY}").text
    assert f'action="/policies/{APPLY}/withdraw"' in page and 'id="withdraw-button"' in page
    token = page_token(client, f"/policies/{APPLY}")
    sent = client.post(
        f"/policies/{APPLY}/withdraw",
        data={"csrf_token": token, "record_id": str(record), "reason": "补充材料"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/policies/{APPLY}?withdrawn=1"
    shown = client.get(sent.headers["location"]).text
    assert "已撤回" in shown and 'id="submit-button"' in shown, shown
    assert "withdrawn by the enterprise" not in shown  # the note in the page's language
    assert "企业已于" in shown and "撤回：补充材料" in shown, shown
    home = client.get("/home").text
    assert "企业已于" in home, home
    # A second press (a tab opened before the first) changes nothing, and says so.
    again = client.post(
        f"/policies/{APPLY}/withdraw",
        data={"csrf_token": token, "record_id": str(record)},
        follow_redirects=False,
    )
    assert again.headers["location"] == f"/policies/{APPLY}?withdrawn=already"
    said = client.get(again.headers["location"]).text
    assert "已经撤回，本次未做任何更改" in said and "部门不会审核" not in said, said
    # Without the CSRF token, nothing happens.
    assert (
        client.post(
            f"/policies/{APPLY}/withdraw", data={"record_id": str(record)}, follow_redirects=False
        ).status_code
        == 403
    )


def test_requests_are_withdrawn_and_closed_over_the_api(portal: Portal) -> None:
    api, owner, desk = portal.client(), bearer(portal, "ent6"), bearer(portal, "desk-finance")
    made = [
        api.post("/api/v1/requests", json={"category": "funding", "text": t}, headers=owner)
        for t in ("资金何时到账？", "再问一次：资金何时到账？")
    ]
    first, second = (m.json()["id"] for m in made)
    assert (
        api.post(f"/api/v1/requests/{first}/withdraw", headers=bearer(portal, "ent7")).status_code
        == 403
    )
    gone = api.post(f"/api/v1/requests/{first}/withdraw", json={"reason": "已解决"}, headers=owner)
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn", gone.text
    assert gone.json()["steps"][-1]["kind"] == "withdrawn"
    assert api.post(f"/api/v1/requests/{first}/withdraw", headers=owner).status_code == 200
    wrong = bearer(portal, "desk-policy")
    assert (
        api.post(
            f"/api/v1/requests/{second}/close", json={"reason": "重复"}, headers=wrong
        ).status_code
        == 403
    )
    blank = api.post(f"/api/v1/requests/{second}/close", json={"reason": " "}, headers=desk)
    assert blank.status_code == 422, blank.text
    closed = api.post(f"/api/v1/requests/{second}/close", json={"reason": "重复诉求"}, headers=desk)
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    twice = api.post(f"/api/v1/requests/{second}/close", json={"reason": "重复诉求"}, headers=desk)
    assert twice.status_code == 409 and "closed already" in twice.text
    late = api.post(f"/api/v1/requests/{second}/withdraw", headers=owner)
    assert late.status_code == 409


def test_the_request_pages_withdraw_and_close(portal: Portal) -> None:
    api, owner = portal.client(), bearer(portal, "ent6")
    rids = [
        api.post(
            "/api/v1/requests", json={"category": "funding", "text": f"第 {n} 件"}, headers=owner
        ).json()["id"]
        for n in (1, 2)
    ]
    ent = sign_in(portal.client(), "ent6")
    page = ent.get(f"/requests/{rids[0]}").text
    assert f'action="/requests/{rids[0]}/withdraw"' in page
    sent = ent.post(
        f"/requests/{rids[0]}/withdraw",
        data={"csrf_token": page_token(ent, f"/requests/{rids[0]}"), "reason": "已自行解决"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?withdrawn=1")
    shown = ent.get(sent.headers["location"]).text
    assert "已撤回" in shown and "已自行解决" in shown and "/withdraw" not in shown

    desk = sign_in(portal.client(), "desk-finance")
    token = page_token(desk, f"/console/requests/{rids[1]}")
    assert 'id="close-button"' in desk.get(f"/console/requests/{rids[1]}").text
    blank = desk.post(
        f"/console/requests/{rids[1]}/close",
        data={"csrf_token": token, "close_reason": "  "},
        follow_redirects=False,
    )
    assert blank.status_code == 400 and 'aria-invalid="true"' in blank.text
    done = desk.post(
        f"/console/requests/{rids[1]}/close",
        data={"csrf_token": token, "close_reason": "电话已解决"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    closed = desk.get(done.headers["location"]).text
    assert "电话已解决" in closed and 'id="close-button"' not in closed
    again = desk.post(
        f"/console/requests/{rids[1]}/close",
        data={"csrf_token": token, "close_reason": "电话已解决"},
        follow_redirects=False,
    )
    assert again.status_code == 409 and _alerts(again.text) == [f"诉求 {rids[1]} 已经办结"]
    mine = ent.get(f"/requests/{rids[1]}").text
    assert "电话已解决" in mine and "/withdraw" not in mine


TEXT = st.text(max_size=40) | st.sampled_from(["", " ", "\u200b", "x" * 3000, "0", "-1"])
RUNS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_withdraw_and_close_never_fail_on_odd_input(portal: Portal) -> None:
    ent = sign_in(portal.client(), "ent2")
    desk = sign_in(portal.client(), "desk-finance")
    tokens = {c: page_token(c, "/requests") for c in (ent, desk)}
    api = portal.client()
    owner, officer = bearer(portal, "ent2"), bearer(portal, "desk-finance")

    @given(reason=TEXT, record=TEXT, number=st.integers(1, 2**62), body=st.none() | TEXT)
    @RUNS
    def forms(reason: str, record: str, number: int, body: str | None) -> None:
        calls = [
            ent.post(
                f"/policies/{APPLY}/withdraw",
                data={"record_id": record, "reason": reason, "csrf_token": tokens[ent]},
                follow_redirects=False,
            ),
            ent.post(
                f"/requests/{number}/withdraw",
                data={"reason": reason, "csrf_token": tokens[ent]},
                follow_redirects=False,
            ),
            desk.post(
                f"/console/requests/{number}/close",
                data={"close_reason": reason, "csrf_token": tokens[desk]},
                follow_redirects=False,
            ),
            api.post(f"/api/v1/records/{number}/withdraw", json={"reason": body}, headers=owner),
            api.post(f"/api/v1/requests/{number}/withdraw", json={"reason": body}, headers=owner),
            api.post(f"/api/v1/requests/{number}/close", json={"reason": body}, headers=officer),
            api.post(
                f"/api/v1/requests/{number}/close",
                content=(body or "").encode(),
                headers={**officer, "Content-Type": "application/json"},
            ),
        ]
        for response in calls:
            assert response.status_code < 500, (reason, record, number, response.text[-400:])

    forms()


def test_a_withdrawal_sent_after_the_answer_says_why_it_is_refused(portal: Portal) -> None:
    """Regression: withdrawing a request from a page opened before the department answered
    it (an older tab) answered 409 without a word: the refusal was shown only inside the
    withdraw form, which an answered request's page no longer has."""
    api, owner = portal.client(), bearer(portal, "ent6")
    rid = api.post(
        "/api/v1/requests", json={"category": "funding", "text": "何时到账？"}, headers=owner
    ).json()["id"]
    ent = sign_in(portal.client(), "ent6")
    token = page_token(ent, f"/requests/{rid}")
    answered = api.post(
        f"/api/v1/requests/{rid}/reply",
        json={"text": "已到账"},
        headers=bearer(portal, "desk-finance"),
    )
    assert answered.status_code == 200, answered.text
    late = ent.post(
        f"/requests/{rid}/withdraw",
        data={"csrf_token": token, "reason": "已解决"},
        follow_redirects=False,
    )
    assert late.status_code == 409
    assert _alerts(late.text) == [
        f"诉求 {rid} 已答复：只有答复前的诉求可以撤回；请对答复进行评价（1 或 2 星可退回重新办理一次）"
    ]
    assert 'id="rate-button"' in late.text
