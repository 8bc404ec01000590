"""The requests desk (诉求) in the portal and the API: an enterprise files (with a file),
follows and rates; the owning department's officer acknowledges, answers and transfers,
seeing the enterprise's records and explanation of the linked policy; another
enterprise's session or token, and an officer of another department, are refused on
every route."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from portal_data import OFFER, Portal, page_token, sign_in
from sqlalchemy import select

from huiqi.accounts.testing import STEWARD
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event
from huiqi.desk.hotline import import_hotline

POLICY_DESK = "市经济信息化委"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


@pytest.fixture(scope="module")
def filed(portal: Portal) -> dict[str, object]:
    """ent0's request about OFFER, filed through the API."""
    client = portal.client()
    made = client.post(
        "/api/v1/requests",
        json={"category": "policy", "text": "这项政策我们为什么还没有收到？", "policy_id": OFFER},
        headers=bearer(portal, "ent0"),
    )
    assert made.status_code == 200, made.text
    body: dict[str, object] = made.json()
    return body


def test_the_api_files_routes_and_follows_a_request(
    portal: Portal, filed: dict[str, object]
) -> None:
    assert filed["department"] == POLICY_DESK and filed["status"] == "open"
    client = portal.client()
    mine = client.get("/api/v1/requests", headers=bearer(portal, "ent0")).json()
    assert filed["id"] in [r["id"] for r in mine]
    queue = client.get("/api/v1/requests", headers=bearer(portal, "desk-policy")).json()
    assert filed["id"] in [r["id"] for r in queue]
    cats = client.get("/api/v1/request-categories").json()
    assert {"policy", "funding"} <= {c["code"] for c in cats}


def test_answer_and_rating_through_the_api(portal: Portal) -> None:
    client = portal.client()
    owner, officer = bearer(portal, "ent1"), bearer(portal, "desk-policy")
    rid = client.post(
        "/api/v1/requests", json={"category": "policy", "text": "咨询"}, headers=owner
    ).json()["id"]
    assert client.post(f"/api/v1/requests/{rid}/acknowledge", headers=officer).status_code == 200
    answered = client.post(
        f"/api/v1/requests/{rid}/reply", json={"text": "请关注第三批名单"}, headers=officer
    )
    assert answered.json()["status"] == "answered"
    rated = client.post(f"/api/v1/requests/{rid}/rate", json={"stars": 1}, headers=owner)
    assert rated.json()["status"] == "reopened"
    # Read while the request is still the policy desk's: the test alone (no request filed
    # by another test) found 0 once it had moved to 市财政局.
    stats = client.get("/api/v1/requests/stats", headers=officer)
    assert stats.status_code == 200 and stats.json()["requests"] >= 1
    moved = client.post(
        f"/api/v1/requests/{rid}/transfer",
        json={"department": "市财政局", "reason": "涉及资金拨付"},
        headers=officer,
    )
    assert moved.json()["department"] == "市财政局", moved.text
    inbox = client.get("/api/v1/inbox", headers=owner).json()
    assert any("已答复" in m["subject"] for m in inbox)
    assert client.get("/api/v1/requests/stats", headers=owner).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/requests/{id}", None),
        ("POST", "/api/v1/requests/{id}/acknowledge", None),
        ("POST", "/api/v1/requests/{id}/reply", {"text": "x"}),
        ("POST", "/api/v1/requests/{id}/transfer", {"department": "市财政局", "reason": "x"}),
        ("POST", "/api/v1/requests/{id}/rate", {"stars": 5}),
    ],
)
@pytest.mark.parametrize("intruder", ["ent7", "desk-finance"])
def test_another_enterprise_or_department_is_refused_on_every_api_route(
    portal: Portal, filed: dict[str, object], method: str, path: str, body: object, intruder: str
) -> None:
    client = portal.client()
    response = client.request(
        method, path.format(id=filed["id"]), json=body, headers=bearer(portal, intruder)
    )
    assert response.status_code == 403, response.text
    assert "这项政策" not in response.text
    assert client.request(method, path.format(id=filed["id"]), json=body).status_code == 401
    if intruder == "ent7":
        listed = client.get("/api/v1/requests", headers=bearer(portal, intruder)).json()
        assert filed["id"] not in [r["id"] for r in listed]
        # Naming the other enterprise is refused, as every other listing refuses it.
        other = client.get(
            "/api/v1/requests", params={"uscc": portal.usccs[0]}, headers=bearer(portal, intruder)
        )
        assert other.status_code == 403, other.text
        assert (
            client.post(
                "/api/v1/requests",
                json={"uscc": portal.usccs[0], "category": "policy", "text": "冒名"},
                headers=bearer(portal, intruder),
            ).status_code
            == 403
        )


def test_the_enterprise_files_follows_and_rates_in_the_portal(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent2")
    assert "/requests" in client.get("/home").text
    token = page_token(client, "/requests")
    made = client.post(
        "/requests",
        data={"csrf_token": token, "category": "funding", "text": "资金什么时候到账？"},
        files=[("files", ("说明.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    where = made.headers["location"]
    rid = int(re.search(r"/requests/(\d+)", where).group(1))  # type: ignore[union-attr]
    shown = client.get(where)
    assert "市财政局" in shown.text and "说明.pdf" in shown.text
    bad = client.post(
        "/requests", data={"csrf_token": token, "category": "", "text": ""}, follow_redirects=False
    )
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    # A grant number too long to be one says so (QA: it said to write digits).
    long = client.post(
        "/requests",
        data={"csrf_token": token, "category": "funding", "text": "x", "grant_id": "9" * 20},
        follow_redirects=False,
    )
    assert long.status_code == 400 and "没有这么长的发放编号" in long.text
    officer = sign_in(portal.client(), "desk-finance")
    queue = officer.get("/console/requests").text
    assert f"/console/requests/{rid}" in queue
    # The category and channel by their names, not the codes 'funding' and 'portal'.
    row = re.search(rf'<tr id="request-{rid}">(.*?)</tr>', queue, re.S)
    assert row and "<td>资金兑付</td>" in row.group(1), queue
    one = officer.get(f"/console/requests/{rid}").text
    # The department that handles it (承办部门), not the policies' issuing one (发布部门).
    assert "承办部门" in queue and "<dt>承办部门</dt>" in one and "<dt>发布部门</dt>" not in one
    assert "<dd>资金兑付</dd>" in one and "(网上)" in one and "(portal)" not in one
    otoken = page_token(officer, f"/console/requests/{rid}")
    replied = officer.post(
        f"/console/requests/{rid}/reply",
        data={"csrf_token": otoken, "reply": "已于本周拨付"},
        follow_redirects=False,
    )
    assert replied.status_code == 303, replied.text
    page = client.get(f"/requests/{rid}")
    assert "已于本周拨付" in page.text and 'name="stars"' in page.text
    rated = client.post(
        f"/requests/{rid}/rate",
        data={"csrf_token": page_token(client, f"/requests/{rid}"), "stars": "5"},
        follow_redirects=False,
    )
    assert rated.status_code == 303
    # Another enterprise's session and another department's officer see none of it.
    other = sign_in(portal.client(), "ent7")
    assert other.get(f"/requests/{rid}").status_code == 403
    assert f"/requests/{rid}" not in other.get("/requests").text
    wrong = sign_in(portal.client(), "desk-policy")
    assert wrong.get(f"/console/requests/{rid}").status_code == 403
    assert (
        wrong.post(
            f"/console/requests/{rid}/reply",
            data={"csrf_token": page_token(wrong, "/console/requests"), "reply": "x"},
        ).status_code
        == 403
    )
    assert other.post(
        f"/requests/{rid}/rate",
        data={"csrf_token": page_token(other, "/requests"), "stars": "1"},
    ).status_code in (400, 403)


def test_the_officer_sees_the_linked_policy_and_the_enterprises_explanation(
    portal: Portal, filed: dict[str, object]
) -> None:
    officer = sign_in(portal.client(), "desk-policy")
    page = officer.get(f"/console/requests/{filed['id']}")
    assert page.status_code == 200
    assert f'href="/policies/{OFFER}"' in page.text
    assert "conditions" in page.text or "条件" in page.text
    token = page_token(officer, f"/console/requests/{filed['id']}")
    bad = officer.post(
        f"/console/requests/{filed['id']}/transfer",
        data={"csrf_token": token, "department": "", "reason": ""},
    )
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    anonymous = portal.client()
    assert anonymous.get("/requests", follow_redirects=False).status_code == 303
    assert anonymous.get("/console/requests", follow_redirects=False).status_code == 303


def test_the_statistics_page_counts_the_departments_requests_only(
    portal: Portal, filed: dict[str, object]
) -> None:
    made = portal.client().post(
        "/api/v1/requests",
        json={"category": "funding", "text": "拨付进度？"},
        headers=bearer(portal, "ent3"),
    )
    assert made.status_code == 200, made.text
    finance = sign_in(portal.client(), "desk-finance")
    assert "/console/requests/stats" in finance.get("/console/requests").text
    page = finance.get("/console/requests/stats")
    assert page.status_code == 200
    assert "市财政局" in page.text and POLICY_DESK not in page.text  # its department only
    assert 'data-bars="' in page.text
    policy = sign_in(portal.client(), "desk-policy").get("/console/requests/stats")
    assert policy.status_code == 200 and POLICY_DESK in policy.text
    assert "市财政局" not in policy.text
    # A period: a date that is not one, or one that ends before it starts, says so.
    assert "YYYY-MM-DD" in finance.get("/console/requests/stats?since=2026-13-01").text
    backwards = finance.get("/console/requests/stats?since=2026-03-01&until=2026-01-01")
    assert backwards.status_code == 200 and 'role="alert"' in backwards.text
    empty = finance.get("/console/requests/stats?since=2001-01-01&until=2001-01-31")
    assert "市财政局" not in empty.text
    # Enterprises and officers without a desk role are refused.
    assert sign_in(portal.client(), "ent3").get("/console/requests/stats").status_code == 403
    assert sign_in(portal.client(), "finance").get("/console/requests/stats").status_code == 403


def test_the_requests_page_shows_the_newest_requests_when_there_are_more_than_a_page(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the page listed the oldest 500 requests in id order, so a park (or an
    enterprise) with more never saw its newest requests there."""
    import huiqi.web.views.requests as requests_view

    owner = bearer(portal, "ent2")
    client = portal.client()
    made = [
        client.post(
            "/api/v1/requests", json={"category": "policy", "text": text}, headers=owner
        ).json()["id"]
        for text in ("第一件", "第二件")
    ]
    monkeypatch.setattr(requests_view, "PAGE", 1)
    page = sign_in(portal.client(), "ent2").get("/requests").text
    assert f"/requests/{made[1]}" in page and f"/requests/{made[0]}" not in page


def test_the_desk_queue_pages_through_every_waiting_request(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the queue showed the first 500 requests of each status and said
    nothing of the rest, which no page could reach."""
    from huiqi.web.views import desk_console

    client = portal.client()
    made = [
        client.post(
            "/api/v1/requests",
            json={"category": "policy", "text": f"第{n}件咨询"},
            headers=bearer(portal, "ent3"),
        ).json()["id"]
        for n in range(3)
    ]
    monkeypatch.setattr(desk_console, "QUEUE", 2)
    officer = sign_in(portal.client(), "desk-policy")
    seen: list[int] = []
    where, pages = "/console/requests", 0
    while where:
        html = officer.get(where).text
        shown = [int(i) for i in re.findall(r'<tr id="request-(\d+)">', html)]
        assert 1 <= len(shown) <= 2, html
        seen += shown
        pages += 1
        following = re.search(r'href="(/console/requests\?status=&amp;after=\d+)" rel="next"', html)
        where = following.group(1).replace("&amp;", "&") if following else ""
        if following:
            assert "Showing 2 requests; more follow." in html or "本页显示 2 件诉求" in html
    assert pages >= 2 and seen == sorted(set(seen))
    assert set(made) <= set(seen)


def test_the_officers_download_of_a_request_file_is_audited(portal: Portal) -> None:
    """Regression: the desk officer's download of a file an enterprise filed with its
    request was read in a read-only session and left no audit event."""
    client = sign_in(portal.client(), "ent3")
    made = client.post(
        "/requests",
        data={"csrf_token": page_token(client, "/requests"), "category": "funding", "text": "附件"},
        files=[("files", ("凭证.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    rid = int(re.search(r"/requests/(\d+)", made.headers["location"]).group(1))  # type: ignore[union-attr]
    officer = sign_in(portal.client(), "desk-finance")
    page = officer.get(f"/console/requests/{rid}").text
    fid = re.search(r'href="/request-files/(\d+)"', page).group(1)  # type: ignore[union-attr]
    assert client.get(f"/request-files/{fid}").content == PDF  # the enterprise's own read
    assert officer.get(f"/request-files/{fid}").content == PDF
    with portal.factory() as s:
        reads = s.scalars(
            select(Event).where(
                Event.kind == "attachment_read", Event.entity == f"desk_request:{rid}"
            )
        ).all()
    assert [e.actor for e in reads] == ["desk-finance"]


def _alerts(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">([^<]*)<', html)


def test_a_step_sent_again_after_the_request_moved_on_says_why_with_409(portal: Portal) -> None:
    """Regression: a rating sent again (the back button, a second tab) once the request was
    rated and reopened answered 400 with no message at all, since the refusal was put beside
    the rating form the page no longer shows; the officer's second "acknowledge" (or an
    answer sent again once answered) was a 409 page without a word either."""
    api, owner = portal.client(), bearer(portal, "ent2")
    made = api.post("/api/v1/requests", json={"category": "policy", "text": "咨询"}, headers=owner)
    rid = made.json()["id"]
    desk = sign_in(portal.client(), "desk-policy")
    token = page_token(desk, f"/console/requests/{rid}")

    def officer(step: str, **fields: str) -> httpx.Response:
        return desk.post(
            f"/console/requests/{rid}/{step}",
            data={"csrf_token": token, **fields},
            follow_redirects=False,
        )

    assert officer("acknowledge").status_code == 303
    again = officer("acknowledge")
    assert again.status_code == 409 and _alerts(again.text), again.text
    assert _alerts(again.text) == [f"诉求 {rid} 当前为“办理中”：只有待受理的诉求可以受理"]
    assert officer("reply", reply="已办").status_code == 303
    twice = officer("reply", reply="已办")
    assert twice.status_code == 409 and _alerts(twice.text), twice.text

    ent = sign_in(portal.client(), "ent2")
    rating = {"csrf_token": page_token(ent, f"/requests/{rid}"), "stars": "2", "comment": "未解决"}
    rated = ent.post(f"/requests/{rid}/rate", data=rating, follow_redirects=False)
    assert rated.status_code == 303  # 2 stars: reopened
    resent = ent.post(f"/requests/{rid}/rate", data=rating, follow_redirects=False)
    assert resent.status_code == 409  # as the API answers the same rating
    assert _alerts(resent.text) == [f"诉求 {rid} 当前为“重新办理”：答复后才能评价"]
    assert (
        api.post(f"/api/v1/requests/{rid}/rate", json={"stars": 2}, headers=owner).status_code
        == 409
    )
    assert _alerts(resent.text), resent.text
    assert api.get(f"/api/v1/requests/{rid}", headers=owner).json()["stars"] == 2


def test_the_requests_api_pages_with_after_id_and_refuses_a_parameter_it_does_not_take(
    portal: Portal,
) -> None:
    """Regression: ``after_id`` (the other listings' name) was ignored by /api/v1/requests,
    which answered the first page again: a paging script looped for ever."""
    client = portal.client()
    headers = bearer(portal, "ent2")
    for text in ("第一个问题", "第二个问题"):
        body = {"category": "policy", "text": text}
        assert client.post("/api/v1/requests", json=body, headers=headers).status_code == 200
    every = [r["id"] for r in client.get("/api/v1/requests", headers=headers).json()]
    assert len(every) >= 2
    after = client.get(f"/api/v1/requests?after_id={every[0]}", headers=headers).json()
    assert [r["id"] for r in after] == every[1:]
    old = client.get(f"/api/v1/requests?after={every[0]}", headers=headers).json()
    assert [r["id"] for r in old] == every[1:]
    wrong = client.get("/api/v1/requests?afterid=1", headers=headers)
    assert wrong.status_code == 422
    assert "takes no query parameter 'afterid'" in wrong.text and "after_id" in wrong.text


def test_each_desk_action_answers_with_the_requests_history(portal: Portal) -> None:
    """Regression: acknowledge, reply and transfer answered "steps": [] although the
    request's page then showed the step just taken."""
    client = portal.client()
    officer = bearer(portal, "desk-policy")
    rid = client.post(
        "/api/v1/requests", json={"category": "policy", "text": "补贴何时发放"},
        headers=bearer(portal, "ent3"),
    ).json()["id"]  # fmt: skip
    acked = client.post(f"/api/v1/requests/{rid}/acknowledge", headers=officer).json()
    assert [s["kind"] for s in acked["steps"]][-1] == "acknowledged"
    moved = client.post(
        f"/api/v1/requests/{rid}/transfer",
        json={"department": "市财政局", "reason": "属资金拨付"},
        headers=officer,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["steps"][-1]["kind"] == "transferred"


def test_the_history_shows_each_ratings_stars(portal: Portal) -> None:
    """Regression (QA): the console's history of a request listed "Rated" with the
    comment but not the stars given, for each of the two rounds a reopening allows."""
    client = portal.client()
    owner, officer = bearer(portal, "ent5"), bearer(portal, "desk-policy")
    rid = client.post(
        "/api/v1/requests", json={"category": "policy", "text": "星级"}, headers=owner
    ).json()["id"]
    client.post(f"/api/v1/requests/{rid}/reply", json={"text": "答复一"}, headers=officer)
    client.post(
        f"/api/v1/requests/{rid}/rate", json={"stars": 2, "comment": "没解决"}, headers=owner
    )
    client.post(f"/api/v1/requests/{rid}/reply", json={"text": "答复二"}, headers=officer)
    shown = client.post(f"/api/v1/requests/{rid}/rate", json={"stars": 4}, headers=owner).json()
    assert [s["stars"] for s in shown["steps"] if s["kind"] == "rated"] == [2, 4]
    page = sign_in(portal.client(), "desk-policy").get(f"/console/requests/{rid}").text
    history = re.search(r'<ol class="history">(.*?)</ol>', page, re.S)
    assert history, page
    rated = [line for line in history.group(1).split("</li>") if "已评价" in line]
    assert len(rated) == 2, history.group(1)
    assert 'aria-label="2 星">★★<' in rated[0] and "没解决" in rated[0]
    assert 'aria-label="4 星">★★★★<' in rated[1]


def test_a_hotline_requests_history_says_it_came_from_the_hotline(
    portal: Portal, tmp_path: Path
) -> None:
    """Regression (QA): a request imported from a 12345 export was shown in the console's
    history as filed by the data steward who imported it, as if the officer had filed it."""
    export = tmp_path / "12345.csv"
    export.write_bytes(
        (
            "工单编号,统一社会信用代码,诉求类别,诉求内容,受理时间\r\n"
            f"HL-WEB-1,{portal.usccs[6]},政策咨询,来电咨询政策,2026-03-02 09:00\r\n"
        ).encode("gbk")
    )
    with transaction(portal.factory) as s:
        [rid] = import_hotline(s, actor=STEWARD, path=export).ids
    page = sign_in(portal.client(), "desk-policy").get(f"/console/requests/{rid}").text
    history = re.search(r'<ol class="history">(.*?)</ol>', page, re.S)
    assert history, page
    [filed] = [line for line in history.group(1).split("</li>") if "提交" in line]
    assert "12345 热线来电，由 steward 导入" in filed, filed
    own = sign_in(portal.client(), "ent6").get(f"/requests/{rid}").text
    assert "steward" not in own


def test_the_request_form_sent_twice_files_one_request(portal: Portal) -> None:
    """QA: a double click on 发送, or the browser sending the POST again, filed two
    requests. The form's one-time key makes the second answer the first request."""
    client = sign_in(portal.client(), "ent3")
    page = client.get("/requests").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key, page
    assert key.group(1) not in client.get("/requests").text  # each form its own key
    form = {
        "csrf_token": page_token(client, "/requests"),
        "idempotency_key": key.group(1),
        "category": "funding",
        "text": "重复提交的诉求",
    }
    sent = [client.post("/requests", data=form, follow_redirects=False) for _ in range(3)]
    assert {r.status_code for r in sent} == {303}
    assert len({r.headers["location"] for r in sent}) == 1
    rows = client.get("/api/v1/requests", params={"limit": 500}).json()
    assert sum(r["text"] == "重复提交的诉求" for r in rows) == 1
    # A tampered key is not this site's form: refused, nothing filed.
    bad = client.post(
        "/requests", data={**form, "idempotency_key": "x" * 65}, follow_redirects=False
    )
    assert bad.status_code == 403
    rows = client.get("/api/v1/requests", params={"limit": 500}).json()
    assert sum(r["text"] == "重复提交的诉求" for r in rows) == 1


def test_the_api_files_once_per_idempotency_key(portal: Portal) -> None:
    """A retry with the same key is answered as the first call (marked as a replay); the
    key sent again with another text answered the first request as if the new one had
    been filed (qa2): now a 422 that says the key was used for a different request."""
    client, owner = portal.client(), bearer(portal, "ent4")
    body = {"category": "policy", "text": "接口重试"}
    made = [
        client.post("/api/v1/requests", json=body, headers={**owner, "Idempotency-Key": "r-1"})
        for _ in range(3)
    ]
    assert [r.status_code for r in made] == [200, 200, 200], made[0].text
    assert len({r.json()["id"] for r in made}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in made] == [None, "true", "true"]
    changed = client.post(
        "/api/v1/requests",
        json={**body, "text": "另一个诉求"},
        headers={**owner, "Idempotency-Key": "r-1"},
    )
    assert changed.status_code == 422
    assert "different request" in changed.json()["detail"][0]["msg"]
    other = client.post("/api/v1/requests", json=body, headers={**owner, "Idempotency-Key": "r-2"})
    assert other.json()["id"] != made[0].json()["id"]
    bad = client.post("/api/v1/requests", json=body, headers={**owner, "Idempotency-Key": "a b"})
    assert bad.status_code == 422
    [said] = bad.json()["detail"]
    assert said["loc"] == ["header", "Idempotency-Key"] and "idempotency key" in said["msg"]
    rows = client.get("/api/v1/requests", params={"limit": 500}, headers=owner).json()
    assert sum(r["text"] == "接口重试" for r in rows) == 2
    assert not any(r["text"] == "另一个诉求" for r in rows)


def test_the_answer_to_a_filing_is_the_request_as_it_reads_back(portal: Portal) -> None:
    """Regression: ``POST /api/v1/requests`` answered with no steps (its "filed" step
    missing), while the same request read back, or answered again for a retry with the same
    Idempotency-Key, had it: one request, two answers."""
    client, owner = portal.client(), bearer(portal, "ent4")
    body = {"category": "funding", "text": "补贴何时到账？"}
    sent = [
        client.post("/api/v1/requests", json=body, headers={**owner, "Idempotency-Key": "one"}),
        client.post(
            "/api/v1/requests",
            data=body,
            files={"files": ("证明.pdf", PDF, "application/pdf")},
            headers=owner,
        ),
    ]
    for made in sent:
        assert made.status_code == 200, made.text
        filed = made.json()
        assert [st["kind"] for st in filed["steps"]] == ["filed"]
        again = client.get(f"/api/v1/requests/{filed['id']}", headers=owner).json()
        assert filed == again
    retried = client.post(
        "/api/v1/requests", json=body, headers={**owner, "Idempotency-Key": "one"}
    ).json()
    assert retried == sent[0].json()


def test_text_of_several_lines_from_a_browser_is_filed_as_typed(portal: Portal) -> None:
    """Regression: a browser sends a textarea's line breaks as CR LF, and the request form
    refused any text of two lines: "诉求内容不能包含控制字符" (control characters)."""
    ent = sign_in(portal.client(), "ent4")
    page = ent.get("/requests").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key
    sent = ent.post(
        "/requests",
        data={
            "csrf_token": page_token(ent, "/requests"),
            "idempotency_key": key.group(1),
            "category": "funding",
            "text": "补贴何时到账？\r\n合同编号 A-1",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, re.findall(r'class="field-error"[^>]*>([^<]*)', sent.text)
    shown = ent.get(sent.headers["location"]).text
    assert '<p class="request-text">补贴何时到账？\n合同编号 A-1</p>' in shown


def test_the_request_pages_name_the_policy_by_its_title(
    portal: Portal, filed: dict[str, object]
) -> None:
    """QA (qa9): the enterprise's and the officer's request pages named the policy by its
    id ("政策 web-offer"); they now give its title, linking to its page."""
    link = f'<a href="/policies/{OFFER}">测试政策{OFFER}</a>'
    for user, path in (("ent0", "/requests"), ("desk-policy", "/console/requests")):
        page = sign_in(portal.client(), user).get(f"{path}/{filed['id']}").text
        assert link in page, (user, page[-3000:])


def test_a_transfer_says_where_the_request_went(portal: Portal) -> None:
    """QA (qa9): after a transfer the queue came back saying nothing (its address carried
    ``transferred=`` and no page read it); the request just left the list. The queue now
    says where it went; a department the desk does not know is never echoed."""
    made = portal.client().post(
        "/api/v1/requests",
        json={"category": "policy", "text": "请问申报材料有哪些？", "policy_id": OFFER},
        headers=bearer(portal, "ent2"),
    )
    assert made.status_code == 200, made.text
    number = made.json()["id"]
    officer = sign_in(portal.client(), "desk-policy")
    token = page_token(officer, f"/console/requests/{number}")
    sent = officer.post(
        f"/console/requests/{number}/transfer",
        data={"csrf_token": token, "department": "市财政局", "reason": "资金问题"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    queue = officer.get(sent.headers["location"])
    assert queue.status_code == 200
    said = f'<p class="notice" role="status" id="transferred">诉求 {number} 已转办至市财政局。</p>'
    assert said in queue.text, queue.text[:3000]
    forged = officer.get("/console/requests?transferred=1&to=请拨打电话领取").text
    assert 'id="transferred"' not in forged and "请拨打电话领取" not in forged


def test_a_request_about_a_grant_names_it_as_a_grant_number(portal: Portal) -> None:
    """QA (qa4): the grant a request concerns read "资金拨付: 3" (disbursement) on the
    enterprise's and the officer's request pages, and the finance page's column of failed
    grants was headed 资金拨付 too, above grant numbers: the word for a grant's number is
    发放编号, as on the grants page."""
    client = portal.client()
    grants = client.get("/api/v1/grants", headers=bearer(portal, "ent5")).json()
    assert grants, "ent5 holds the automatic policy's grant"
    made = client.post(
        "/api/v1/requests",
        json={"category": "funding", "text": "补贴何时到账？", "grant_id": grants[0]["id"]},
        headers=bearer(portal, "ent5"),
    )
    assert made.status_code == 200, made.text
    page = sign_in(portal.client(), "ent5").get(f"/requests/{made.json()['id']}").text
    assert f"<dt>发放编号</dt><dd>{grants[0]['id']}</dd>" in page
    assert "资金拨付" not in page
