"""The officers' inbox in the console (/console/inbox) and its JSON twin
(/api/v1/console/inbox): the sweep's reminder reaches the department's desk officers, its
escalation the department's heads, in Chinese and English; each marks their own messages
read; nobody else reads or marks them."""

from __future__ import annotations

import datetime as dt

import pytest
from portal_data import PASSWORD, Portal, page_token, sign_in

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import SCHEDULER
from huiqi.db.engine import transaction
from huiqi.desk.sweep import sweep

POLICY_DESK = "市经济信息化委"


def bearer(portal: Portal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token(user)}"}


@pytest.fixture(scope="module")
def swept(portal: Portal) -> int:
    """A request to the policy desk, reminded on its due day and escalated the day after;
    ``head-policy`` is the department's head."""
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="head-policy",
            roles=[RoleGrant(Role.DESK_HEAD, f"department:{POLICY_DESK}")],
            password=PASSWORD,
        )
    made = portal.client().post(
        "/api/v1/requests",
        json={"category": "policy", "text": "申报材料要交哪些？"},
        headers=bearer(portal, "ent2"),
    )
    assert made.status_code == 200 and made.json()["department"] == POLICY_DESK, made.text
    due = dt.date.fromisoformat(made.json()["ack_due"])
    for day in (due, due, due + dt.timedelta(days=1), due + dt.timedelta(days=1)):
        with transaction(portal.factory) as s:  # each twice: still one message each
            sweep(s, actor=SCHEDULER, now=dt.datetime.combine(day, dt.time(1)))
    request_id: int = made.json()["id"]
    return request_id


def test_officers_are_reminded_and_heads_told_of_escalations(portal: Portal, swept: int) -> None:
    api = portal.client()
    officer = api.get("/api/v1/console/inbox", headers=bearer(portal, "desk-policy")).json()
    assert [(m["kind"], m["request_id"], m["task"]) for m in officer] == [
        ("reminder", swept, "acknowledge")
    ]
    head = api.get("/api/v1/console/inbox", headers=bearer(portal, "head-policy")).json()
    assert [(m["kind"], m["request_id"]) for m in head] == [("escalation", swept)]
    assert head[0]["department"] == POLICY_DESK and head[0]["read_at"] is None
    other = api.get("/api/v1/console/inbox", headers=bearer(portal, "desk-finance"))
    assert other.status_code == 200 and other.json() == []


def test_the_page_in_both_languages_and_marking_read(portal: Portal, swept: int) -> None:
    client = sign_in(portal.client(), "desk-policy")
    page = client.get("/console/inbox").text
    assert "到期提醒" in page and f'href="/console/requests/{swept}"' in page
    assert 'href="/console/inbox"' in page  # in the console's navigation
    assert 'href="/console/inbox"' in client.get("/console/requests").text
    client.cookies.set("huiqi_lang", "en")
    english = client.get("/console/inbox").text
    assert "Reminder" in english and f"{POLICY_DESK} must acknowledge it by" in english
    [message] = (
        portal.client().get("/api/v1/console/inbox", headers=bearer(portal, "desk-policy")).json()
    )
    token = page_token(client, "/console/inbox")
    assert client.post(f"/console/inbox/{message['id']}/read").status_code == 403  # no CSRF
    done = client.post(
        f"/console/inbox/{message['id']}/read", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "Mark as read" not in client.get("/console/inbox").text
    assert "No messages." in client.get("/console/inbox?unread=1").text
    again = portal.client().post(
        f"/api/v1/console/inbox/{message['id']}/read", headers=bearer(portal, "desk-policy")
    )
    assert again.status_code == 200 and again.json()["read_at"] is not None


def test_the_head_marks_read_through_the_api(portal: Portal, swept: int) -> None:
    api, head = portal.client(), bearer(portal, "head-policy")
    [message] = api.get("/api/v1/console/inbox?unread_only=true", headers=head).json()
    done = api.post(f"/api/v1/console/inbox/{message['id']}/read", headers=head)
    assert done.status_code == 200 and done.json()["read_at"]
    assert api.get("/api/v1/console/inbox?unread_only=true", headers=head).json() == []


@pytest.mark.parametrize("intruder", ["ent0", "officer", "finance", "steward"])
def test_only_desk_officers_and_heads_have_an_inbox(
    portal: Portal, swept: int, intruder: str
) -> None:
    client = sign_in(portal.client(), intruder)
    assert client.get("/console/inbox").status_code == 403
    token = page_token(client, "/")
    assert client.post("/console/inbox/1/read", data={"csrf_token": token}).status_code == 403
    api, headers = portal.client(), bearer(portal, intruder)
    assert api.get("/api/v1/console/inbox", headers=headers).status_code == 403
    assert api.post("/api/v1/console/inbox/1/read", headers=headers).status_code == 403


def test_another_officers_message_is_not_found_and_anonymous_signs_in(
    portal: Portal, swept: int
) -> None:
    api = portal.client()
    [message] = api.get("/api/v1/console/inbox", headers=bearer(portal, "head-policy")).json()
    for other in ("desk-policy", "desk-finance"):
        got = api.post(f"/api/v1/console/inbox/{message['id']}/read", headers=bearer(portal, other))
        assert got.status_code == 404, other
    anonymous = portal.client()
    assert anonymous.get("/console/inbox", follow_redirects=False).status_code == 303
    assert anonymous.get("/api/v1/console/inbox").status_code == 401
    assert anonymous.post(f"/api/v1/console/inbox/{message['id']}/read").status_code == 401


def test_a_withdrawn_requests_reminder_is_done_not_unread(portal: Portal) -> None:
    """Regression: desk officers kept an unread reminder (in the page and the API's
    ``unread_only``) for a request the enterprise had withdrawn or the department closed."""
    api, officer = portal.client(), bearer(portal, "desk-finance")
    ids = []
    for text in ("补贴什么时候到账？", "拨付进度怎么查？"):
        made = api.post(
            "/api/v1/requests",
            json={"category": "funding", "text": text},
            headers=bearer(portal, "ent3"),
        )
        assert made.status_code == 200 and made.json()["department"] == "市财政局", made.text
        ids.append(made.json()["id"])
    due = dt.date.fromisoformat(made.json()["ack_due"])
    with transaction(portal.factory) as s:
        sweep(s, actor=SCHEDULER, now=dt.datetime.combine(due, dt.time(1)))
    unread = api.get("/api/v1/console/inbox?unread_only=true", headers=officer).json()
    assert {m["request_id"] for m in unread} >= set(ids)
    withdrawn = api.post(f"/api/v1/requests/{ids[0]}/withdraw", headers=bearer(portal, "ent3"))
    closed = api.post(
        f"/api/v1/requests/{ids[1]}/close", json={"reason": "重复诉求"}, headers=officer
    )
    assert withdrawn.status_code == closed.status_code == 200, (withdrawn.text, closed.text)
    unread = api.get("/api/v1/console/inbox?unread_only=true", headers=officer).json()
    assert not {m["request_id"] for m in unread} & set(ids)
    mine = [m for m in api.get("/api/v1/console/inbox", headers=officer).json()]
    assert {m["request_id"]: m["done"] for m in mine if m["request_id"] in ids} == {
        ids[0]: True,
        ids[1]: True,
    }
    client = sign_in(portal.client(), "desk-finance")
    page = client.get("/console/inbox").text
    assert f'data-message="{mine[0]["id"]}"' in page and "已无需处理" in page
    client.cookies.set("huiqi_lang", "en")
    english = client.get("/console/inbox").text
    assert "done: the request no longer waits for this" in english
