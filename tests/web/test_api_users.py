"""``/api/v1/users``: the admin lists the users by name a page at a time (keyset), adds
one, changes its roles, disables and enables it; nobody else may (403, before a body is
read); a password or its hash is never in an answer; no query or body is a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal
from sqlalchemy import update

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.models import ApiToken
from huiqi.db.engine import transaction

NEW_PASSWORD = "a-new-pass-2026"


@pytest.fixture(scope="module")
def api(portal: Portal) -> TestClient:
    return portal.client()


@pytest.fixture(scope="module")
def admin(portal: Portal) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.token('admin')}"}


def test_the_admin_lists_users_by_name_with_roles_and_no_secret(
    api: TestClient, admin: dict[str, str]
) -> None:
    response = api.get("/api/v1/users", headers=admin)
    assert response.status_code == 200, response.text
    users = response.json()
    names = [u["username"] for u in users]
    assert names == sorted(names) and {"admin", "steward", "ent0"} <= set(names)
    steward = next(u for u in users if u["username"] == "steward")
    assert steward["roles"] == ["data_steward"] and steward["has_password"] is True
    ent0 = next(u for u in users if u["username"] == "ent0")
    assert ent0["roles"][0].startswith("enterprise=")
    assert "argon2" not in response.text and "password_hash" not in response.text
    assert set(steward) == {
        "id",
        "username",
        "display_name",
        "email",
        "roles",
        "disabled",
        "has_password",
    }


def test_the_next_page_starts_after_the_last_name(api: TestClient, admin: dict[str, str]) -> None:
    first = api.get("/api/v1/users", params={"starting": "ent", "limit": 3}, headers=admin).json()
    assert [u["username"] for u in first] == ["ent0", "ent1", "ent2"]
    after = first[-1]["username"]
    params: dict[str, Any] = {"starting": "ent", "after": after, "limit": 3}
    second = api.get("/api/v1/users", params=params, headers=admin).json()
    assert [u["username"] for u in second] == ["ent3", "ent4", "ent5"]


def test_the_admin_adds_changes_disables_and_enables_a_user(
    api: TestClient, admin: dict[str, str], portal: Portal
) -> None:
    body = {
        "username": "api-author",
        "roles": ["policy_author=district:310115"],
        "email": "author@example.gov.cn",
        "password": NEW_PASSWORD,
    }
    added = api.post("/api/v1/users", json=body, headers=admin)
    assert added.status_code == 200, added.text
    assert added.json()["roles"] == ["policy_author=district:310115"]
    assert added.json()["has_password"] is True and NEW_PASSWORD not in added.text
    changed = api.patch(
        "/api/v1/users/api-author",
        json={
            "add_roles": ["policy_reviewer=*"],
            "remove_roles": ["policy_author=district:310115"],
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["roles"] == ["policy_reviewer=*"]
    disabled = api.post("/api/v1/users/api-author/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    enabled = api.post("/api/v1/users/api-author/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    kinds = [
        e["kind"]
        for e in api.get("/api/v1/audit", params={"by": "admin"}, headers=admin).json()
        if e["entity"] == f"user:{added.json()['id']}"
    ]
    assert kinds == ["user_enabled", "user_disabled", "user_changed", "user_added"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("PATCH", "/api/v1/users/nobody-here", {"add_roles": ["admin"]}, 404, "no user"),
        ("POST", "/api/v1/users/nobody-here/disable", None, 404, "no user"),
        ("POST", "/api/v1/users/admin/disable", None, 400, "cannot disable itself"),
        ("PATCH", "/api/v1/users/steward", {}, 400, "nothing to change"),
        ("PATCH", "/api/v1/users/steward", {"remove_roles": ["admin"]}, 400, "does not hold"),
        ("POST", "/api/v1/users", {"username": "steward", "roles": ["admin"]}, 400, "exists"),
        ("POST", "/api/v1/users", {"username": "x1", "roles": ["king"]}, 400, "unknown role"),
        ("POST", "/api/v1/users", {"username": "x2", "roles": ["enterprise"]}, 400, "USCC"),
        ("POST", "/api/v1/users", {"username": "x3", "roles": []}, 422, "at least 1"),
        ("POST", "/api/v1/users", {"username": "x4", "roles": ["admin"], "id": 1}, 422, "takes no field 'id'"),
        ("POST", "/api/v1/users", {"username": "x5", "roles": "admin"}, 422, "list"),
        ("POST", "/api/v1/users", {"username": "x6", "roles": ["admin"], "password": "short"}, 400, "at least 10"),
    ],
)  # fmt: skip
def test_refusals_say_why(
    api: TestClient,
    admin: dict[str, str],
    method: str,
    path: str,
    body: Any,
    status: int,
    says: str,
) -> None:
    response = api.request(method, path, json=body, headers=admin)
    assert response.status_code == status, response.text
    assert says in response.text


@pytest.mark.parametrize(
    ("method", "path", "body", "says"),
    [
        (
            "PATCH",
            "/api/v1/users/steward",
            {},
            "nothing to change; send add_roles, remove_roles, password, email or display_name",
        ),
        (
            "PATCH",
            "/api/v1/users/nobody-here",
            {"email": "a@example.com"},
            "no user 'nobody-here'; GET /api/v1/users lists them",
        ),
        (
            "POST",
            "/api/v1/users",
            {"username": "steward", "roles": ["admin"]},
            "user 'steward' exists; change it with PATCH /api/v1/users/{username}",
        ),
    ],
)
def test_a_refusal_names_the_api_s_fields_and_calls_not_the_cli_s(
    api: TestClient, admin: dict[str, str], method: str, path: str, body: Any, says: str
) -> None:
    """Regression (QA): these said "give --add-role, --remove-role, --password, --email or
    --name", "'huiqi user list' shows them" and "change it with 'huiqi user change'": the
    options and commands of the CLI, which an API client has not, for the body's fields."""
    response = api.request(method, path, json=body, headers=admin)
    assert response.status_code in (400, 404), response.text
    assert response.json()["detail"] == says


def test_an_unknown_token_is_not_told_to_run_the_cli(api: TestClient) -> None:
    response = api.get("/api/v1/me", headers={"Authorization": "Bearer hq_no-such-token"})
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert detail.startswith("the token is not known here") and "huiqi login" not in detail


def test_an_expired_or_revoked_token_is_told_how_to_get_a_new_one(
    api: TestClient, portal: Portal
) -> None:
    """Regression (QA): "sign in again" alone, to a program holding an API token."""
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        made = [tokens.create_token(s, actor=admin, name=n, username="ent0") for n in "ab"]
        (old, old_secret), (gone, gone_secret) = made
        s.execute(
            update(ApiToken).where(ApiToken.id == old.id).values(expires_at=dt.datetime(2026, 1, 1))
        )
        tokens.revoke_token(s, actor=admin, token_id=gone.id)
    for secret, says in (
        (old_secret, "the token expired on 2026-01-01 08:00 (China time); sign in again, or"),
        (gone_secret, "the token was revoked or its user disabled; sign in again, or"),
    ):
        response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 401
        detail = response.json()["detail"]
        assert detail.startswith(says) and "send a new API token" in detail, detail


@pytest.mark.parametrize("user", ["steward", "officer", "finance", "ent0"])
def test_only_an_admin_may_list_or_change_users(api: TestClient, portal: Portal, user: str) -> None:
    headers = {"Authorization": f"Bearer {portal.token(user)}"}
    calls = [
        api.get("/api/v1/users", headers=headers),
        # An invalid body is refused for the role first (403), not for the body (422).
        api.post("/api/v1/users", json={"nonsense": True}, headers=headers),
        api.patch("/api/v1/users/steward", json={"add_roles": ["admin"]}, headers=headers),
        api.post("/api/v1/users/ent1/disable", headers=headers),
    ]
    assert [c.status_code for c in calls] == [403] * 4
    assert all(set(c.json()) == {"error", "code", "field", "detail"} for c in calls)
    assert {c.json()["code"] for c in calls} == {"forbidden"}


def test_a_bad_filter_is_a_422_naming_it(api: TestClient, admin: dict[str, str]) -> None:
    for params in ({"after": "x" * 65}, {"starting": "a\x00"}, {"limit": 0}, {"page": 2}):
        response = api.get("/api/v1/users", params=params, headers=admin)
        assert response.status_code == 422, (params, response.text)


TEXT = st.text(max_size=80)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(
    params=st.fixed_dictionaries({}, optional={"starting": TEXT, "after": TEXT, "limit": TEXT}),
    body=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["username", "roles", "email", "password", "add_roles", "x"]),
            st.one_of(TEXT, st.lists(TEXT, max_size=3), st.booleans(), st.integers()),
        ),
    ),
    name=st.text(min_size=1, max_size=70).filter(
        lambda n: "/" not in n and n not in (".", "..", "admin")
    ),
)
def test_no_query_or_body_is_a_server_error(
    api: TestClient, admin: dict[str, str], params: dict[str, str], body: Any, name: str
) -> None:
    listed = api.get("/api/v1/users", params=params, headers=admin)
    assert listed.status_code in (200, 422), listed.text
    for response in (
        api.post("/api/v1/users", json=body, headers=admin),
        api.patch(f"/api/v1/users/{quote(name, safe='')}", json=body, headers=admin),
    ):
        assert response.status_code < 500, response.text


@pytest.mark.parametrize("name", ["财政局/张三", "ops/disable", "a/b/enable"])
def test_a_user_whose_name_holds_a_slash_is_changed_through_its_path(
    api: TestClient, admin: dict[str, str], name: str
) -> None:
    """Regression: a user named with '/' (which ``huiqi user add`` and the console accept,
    and a single sign-on's account names may hold) could not be changed, disabled or
    enabled through the API: PATCH /api/v1/users/财政局%2F张三 was a 404."""
    added = api.post(
        "/api/v1/users", json={"username": name, "roles": ["data_steward"]}, headers=admin
    )
    assert added.status_code == 200, added.text
    for path in (quote(name, safe=""), quote(name)):  # '/' written %2F, or as it is
        changed = api.patch(
            f"/api/v1/users/{path}", json={"display_name": f"改 {path}"}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["username"] == name
    disabled = api.post(f"/api/v1/users/{quote(name)}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True, disabled.text
    assert disabled.json()["username"] == name
    enabled = api.post(f"/api/v1/users/{quote(name, safe='')}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False, enabled.text
    missing = api.patch("/api/v1/users/no/such", json={"display_name": "x"}, headers=admin)
    assert missing.status_code == 404 and "no user 'no/such'" in missing.text
