"""The console's audit log page: admins read the events newest first, filter them by kind,
actor and entity, and page through them by keyset (``before``); other roles are refused;
no value of the address, however odd, is a server error."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, sign_in
from sqlalchemy import func, select

from huiqi.accounts import service as accounts
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event

PAGE = "/console/audit"
EVENT = re.compile(r'<tr id="event-(\d+)">')


@pytest.fixture(scope="module")
def admin(portal: Portal) -> TestClient:
    """The admin's browser, after 60 account changes of one user (more than a page)."""
    with transaction(portal.factory) as s:
        actor = accounts.actor_of(accounts.find_user(s, "admin"))
        for i in range(30):
            accounts.set_disabled(s, actor=actor, username="steward", disabled=i % 2 == 0)
            accounts.change_user(s, actor=actor, username="steward", email=f"s{i}@example.gov.cn")
    return sign_in(portal.client(), "admin")


def ids_on(text: str) -> list[int]:
    return [int(i) for i in EVENT.findall(text)]


def test_the_log_reads_newest_first_and_pages_by_keyset(portal: Portal, admin: TestClient) -> None:
    first = admin.get(PAGE)
    assert first.status_code == 200
    ids = ids_on(first.text)
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    with portal.factory() as s:
        assert ids[0] == s.scalar(select(func.max(Event.id)))
    link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert link is not None and "before=" in link.group(1) and "offset" not in link.group(1)
    second = admin.get(link.group(1).replace("&amp;", "&"))
    older = ids_on(second.text)
    assert older and max(older) < min(ids)
    assert 'id="first-page"' in second.text


def test_filters_by_kind_actor_and_entity_and_the_next_page_keeps_them(
    portal: Portal, admin: TestClient
) -> None:
    with portal.factory() as s:
        steward = f"user:{accounts.find_user(s, 'steward').id}"
    kinds = admin.get(PAGE, params={"kind": "user_changed", "actor": "admin"})
    assert kinds.status_code == 200
    data = admin.get(
        PAGE,
        params={"kind": "user_changed", "actor": "admin", "entity": steward},
        headers={"Accept": "application/json"},
    ).json()
    events = data["events"]
    assert len(events) == 30 and {e["kind"] for e in events} == {"user_changed"}
    assert {e["actor"] for e in events} == {"admin"} and {e["entity"] for e in events} == {steward}
    assert data["next"] is None
    trail = admin.get(PAGE, params={"entity": steward}, headers={"Accept": "application/json"})
    body = trail.json()
    assert len(body["events"]) == 50 and "entity=user%3A" in body["next"]
    rest = admin.get(body["next"], headers={"Accept": "application/json"}).json()["events"]
    assert all(e["entity"] == steward for e in rest)
    assert len(body["events"]) + len(rest) == 61  # 60 changes and the user's addition
    nobody = admin.get(PAGE, params={"actor": "nobody"})
    assert nobody.status_code == 200 and "没有符合条件的事件" in nobody.text


def test_a_filter_the_log_cannot_hold_is_told_in_chinese(admin: TestClient) -> None:
    refused = admin.get(PAGE, params={"entity": "grant 12"})
    assert refused.status_code == 400
    assert "对象请写作 类型:编号" in refused.text
    assert admin.get(PAGE, params={"before": "-1"}).status_code == 400
    assert admin.get(PAGE, params={"kind": "x" * 65}).status_code == 400


@pytest.mark.parametrize("user", ["finance", "officer", "steward", "ent0"])
def test_other_roles_are_refused_the_log(portal: Portal, user: str) -> None:
    client = sign_in(portal.client(), user)
    refused = client.get(PAGE)
    assert refused.status_code == 403
    assert "打开 /console/audit" in refused.text  # the console pages' own refusal


FILTER_TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="grantuserbatch:_0123456789²٣ ", max_size=30),
    st.from_regex(r"grant:[0-9]{1,40}", fullmatch=True),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=FILTER_TEXT,
    actor=FILTER_TEXT,
    entity=FILTER_TEXT,
    before=st.one_of(st.text(max_size=30), st.integers(min_value=-(2**70), max_value=2**70)),
)
def test_no_filter_is_a_server_error(
    admin: TestClient, kind: str, actor: str, entity: str, before: str | int
) -> None:
    params = {"kind": kind, "actor": actor, "entity": entity, "before": str(before)}
    response = admin.get(PAGE, params=params)
    assert response.status_code in (200, 400), (params, response.status_code)
    assert "Traceback" not in response.text
