"""``/api/v1/audit``: the admin reads the audit log newest first, filtered, a page at a
time by keyset (``before_id``), and verifies its hash chains; nobody else may (403); a
filter the log cannot hold is a 422 naming it; no query is a server error."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal


@pytest.fixture(scope="module")
def api(portal: Portal) -> TestClient:
    return portal.client()


@pytest.fixture(scope="module")
def admin(portal: Portal) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token('admin')}"}


def get(api: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/audit", params=params, headers=headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_the_newest_events_come_first_and_the_next_page_continues_below(
    api: TestClient, admin: dict[str, str]
) -> None:
    first = get(api, admin, limit=5)
    assert len(first) == 5
    ids = [e["id"] for e in first]
    assert ids == sorted(ids, reverse=True)
    second = get(api, admin, limit=5, before_id=ids[-1])
    assert second and all(e["id"] < ids[-1] for e in second)
    assert [e["id"] for e in get(api, admin, limit=10)] == ids + [e["id"] for e in second]
    assert set(first[0]) == {
        "id",
        "chain",
        "seq",
        "at",
        "actor",
        "kind",
        "uscc",
        "entity",
        "reason",
        "data",
    }


def test_filters_keep_the_events_asked_for(
    api: TestClient, admin: dict[str, str], portal: Portal
) -> None:
    added = get(api, admin, kind="user_added")
    assert added and {e["kind"] for e in added} == {"user_added"}
    assert {e["actor"] for e in get(api, admin, by="admin")} == {"admin"}
    user = added[0]["entity"]
    assert [e["entity"] for e in get(api, admin, entity=user)] == [user]
    code = portal.usccs[0]
    trail = get(api, admin, uscc=code.lower())  # as stored, whichever case it was typed in
    assert trail and all(e["uscc"] in (code, None) for e in trail)
    assert get(api, admin, kind="no_such_kind") == []


def test_the_admin_verifies_the_chains(api: TestClient, admin: dict[str, str]) -> None:
    response = api.get("/api/v1/audit/verify", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["checked"] > 0 and body["problem"] is None


@pytest.mark.parametrize("user", ["steward", "officer", "finance", "ent0"])
def test_only_an_admin_reads_the_audit_log(api: TestClient, portal: Portal, user: str) -> None:
    headers = {"Authorization": f"Bearer {portal.token(user)}"}
    for path in ("/api/v1/audit", "/api/v1/audit/verify"):
        response = api.get(path, headers=headers)
        assert response.status_code == 403, response.text
        assert set(response.json()) == {"error", "code", "field", "detail"}


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"entity": "grant 12"}, "entity"),
        ({"entity": "12"}, "entity"),
        ({"kind": "k" * 65}, "kind"),
        ({"by": "ad\x01min"}, "by"),
        ({"before_id": "0"}, "before_id"),
        ({"before_id": "next"}, "before_id"),
        ({"limit": "5000"}, "limit"),
        ({"uscc": "9" * 19}, "uscc"),
        ({"actor": "admin"}, "actor"),  # the page's name for it: the API's is 'by'
    ],
)
def test_a_filter_the_log_cannot_hold_is_a_422_naming_it(
    api: TestClient, admin: dict[str, str], params: dict[str, str], names: str
) -> None:
    response = api.get("/api/v1/audit", params=params, headers=admin)
    assert response.status_code == 422, response.text
    assert [e["loc"][-1] for e in response.json()["detail"]] == [names]


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            k: st.one_of(st.text(max_size=80), st.integers().map(str))
            for k in ("uscc", "entity", "kind", "by", "before_id", "limit")
        },
    )
)
def test_no_filter_is_a_server_error(
    api: TestClient, admin: dict[str, str], params: dict[str, str]
) -> None:
    response = api.get("/api/v1/audit", params=params, headers=admin)
    assert response.status_code in (200, 422), response.text
