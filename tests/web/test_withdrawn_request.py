"""A request (诉求) the enterprise withdrew reads as withdrawn (已撤回), not as closed
(已办结), wherever it is shown: the enterprise's pages in both languages, the API (one
request, the list and its status filter) and the desk officers' console. It is stored as
closed, as one its department closed, and both read "Closed" (已办结): the enterprise
that withdrew it was told the department had handled it."""

from __future__ import annotations

import re

import pytest
from portal_data import Portal, page_token, sign_in
from test_requests_pages import bearer


def _status(html: str) -> str:
    found = re.search(r'<dd id="status">([^<]*)', html)
    assert found, "no status on the page"
    return found.group(1).strip()


def _row(html: str, request_id: int) -> str:
    found = re.search(rf'<tr id="request-{request_id}">(.*?)</tr>', html, re.S)
    assert found, f"request {request_id} is not listed"
    return found.group(1)


@pytest.fixture(scope="module")
def ended(portal: Portal) -> tuple[int, int]:
    """ent5's two funding requests: the first withdrawn by ent5, the second closed by the
    finance bureau's desk officer."""
    api, owner = portal.client(), bearer(portal, "ent5")
    ids = [
        api.post(
            "/api/v1/requests", json={"category": "funding", "text": text}, headers=owner
        ).json()["id"]
        for text in ("补贴何时发放？", "补贴发放进度？")
    ]
    gone = api.post(f"/api/v1/requests/{ids[0]}/withdraw", json={"reason": "已解决"}, headers=owner)
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn", gone.text
    closed = api.post(
        f"/api/v1/requests/{ids[1]}/close",
        json={"reason": "重复诉求"},
        headers=bearer(portal, "desk-finance"),
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    return ids[0], ids[1]


@pytest.mark.parametrize("user", ["ent5", "desk-finance"])
def test_the_api_says_withdrawn_for_a_withdrawn_request(
    portal: Portal, ended: tuple[int, int], user: str
) -> None:
    withdrawn, closed = ended
    api, who = portal.client(), bearer(portal, user)
    assert api.get(f"/api/v1/requests/{withdrawn}", headers=who).json()["status"] == "withdrawn"
    assert api.get(f"/api/v1/requests/{closed}", headers=who).json()["status"] == "closed"
    listed = {r["id"]: r["status"] for r in api.get("/api/v1/requests", headers=who).json()}
    assert (listed[withdrawn], listed[closed]) == ("withdrawn", "closed")
    for status, expected in (("withdrawn", withdrawn), ("closed", closed)):
        found = api.get(f"/api/v1/requests?status={status}", headers=who)
        assert found.status_code == 200, found.text
        assert [r["id"] for r in found.json()] == [expected]


@pytest.mark.parametrize(
    ("lang", "withdrawn_name", "closed_name"),
    [("zh-CN", "已撤回", "已办结"), ("en", "Withdrawn", "Closed")],
)
def test_the_enterprise_pages_say_withdrawn(
    portal: Portal, ended: tuple[int, int], lang: str, withdrawn_name: str, closed_name: str
) -> None:
    withdrawn, closed = ended
    client = portal.client()
    client.cookies.set("huiqi_lang", lang)
    ent = sign_in(client, "ent5")
    assert _status(ent.get(f"/requests/{withdrawn}").text) == withdrawn_name
    assert _status(ent.get(f"/requests/{closed}").text) == closed_name
    listing = ent.get("/requests").text
    assert f"<td>{withdrawn_name}</td>" in _row(listing, withdrawn)
    assert f"<td>{closed_name}</td>" in _row(listing, closed)


def test_the_desk_console_says_withdrawn_and_filters_on_it(
    portal: Portal, ended: tuple[int, int]
) -> None:
    withdrawn, closed = ended
    desk = sign_in(portal.client(), "desk-finance")
    assert _status(desk.get(f"/console/requests/{withdrawn}").text) == "已撤回"
    assert _status(desk.get(f"/console/requests/{closed}").text) == "已办结"
    queue = desk.get("/console/requests?status=withdrawn")
    assert queue.status_code == 200 and "已撤回" in _row(queue.text, withdrawn)
    assert f'id="request-{closed}"' not in queue.text
    assert '<option value="withdrawn" selected>已撤回</option>' in queue.text
    done = desk.get("/console/requests?status=closed").text
    assert f'id="request-{withdrawn}"' not in done and "已办结" in _row(done, closed)
    # The step names no one but who took it: a park operator withdraws too, and read
    # "Withdrawn by the enterprise · park-op".
    desk.cookies.set("huiqi_lang", "en")
    history = desk.get(f"/console/requests/{withdrawn}").text
    assert "Withdrawn · ent5" in history and "by the enterprise" not in history


def _alerts(html: str) -> list[str]:
    return re.findall(r'<p class="(?:field-)?error"[^>]*>([^<]*)<', html)


def test_steps_on_a_withdrawn_request_are_refused_as_withdrawn(
    portal: Portal, ended: tuple[int, int]
) -> None:
    """The officer closing it read "诉求 N 已经办结" and the enterprise rating it "未经答复即
    已办结（已撤回，或由部门说明原因后办结）": now each says the enterprise withdrew it."""
    withdrawn, closed = ended
    desk = sign_in(portal.client(), "desk-finance")
    token = page_token(desk, f"/console/requests/{withdrawn}")
    again = desk.post(
        f"/console/requests/{withdrawn}/close",
        data={"csrf_token": token, "close_reason": "重复"},
        follow_redirects=False,
    )
    assert again.status_code == 409 and _alerts(again.text) == [f"诉求 {withdrawn} 已由企业撤回"]
    ent = sign_in(portal.client(), "ent5")
    token = page_token(ent, f"/requests/{withdrawn}")
    for request_id, said in (
        (withdrawn, f"诉求 {withdrawn} 已撤回：没有可评价的答复；如问题仍未解决，请重新提出诉求"),
        (
            closed,
            f"诉求 {closed} 已由承办部门说明原因后办结：没有可评价的答复；如问题仍未解决，请重新提出诉求",
        ),
    ):
        rated = ent.post(
            f"/requests/{request_id}/rate",
            data={"csrf_token": token, "stars": "5"},
            follow_redirects=False,
        )
        assert rated.status_code == 409 and _alerts(rated.text) == [said], rated.text
    api = portal.client()
    answer = api.post(
        f"/api/v1/requests/{withdrawn}/reply",
        json={"text": "已办"},
        headers=bearer(portal, "desk-finance"),
    )
    assert answer.status_code == 409 and f"request {withdrawn} is withdrawn:" in answer.text


def test_an_unknown_status_in_the_api_is_answered_with_the_statuses(portal: Portal) -> None:
    """Regression: GET /api/v1/requests?status=bogus quoted the filter's regular
    expression ('String should match pattern ...') instead of the statuses to write."""
    got = portal.client().get(
        "/api/v1/requests", params={"status": "bogus"}, headers=bearer(portal, "desk-finance")
    )
    assert got.status_code == 422, got.text
    assert "pattern" not in got.text and "'withdrawn'" in got.text and "'reopened'" in got.text
