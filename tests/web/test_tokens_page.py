"""The console's API tokens page, for admins (QA, qa4): the users page offered accounts that
"sign in with API tokens only", and the brief has admins manage tokens, but no page issued,
listed or revoked one: only ``huiqi token create --user``. The page does all three, each
one service call (:mod:`huiqi.accounts.tokens`), the secret shown once."""

from __future__ import annotations

import re

from portal_data import Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.accounts.models import ApiToken


def test_an_admin_issues_lists_and_revokes_a_token_on_the_console(portal: Portal) -> None:
    admin = sign_in(portal.client(), "admin")
    page = admin.get("/console/tokens")
    assert page.status_code == 200 and 'action="/console/tokens"' in page.text
    assert 'href="/console/tokens"' in admin.get("/console").text  # offered on the index
    # The users page, where an account "signs in with API tokens only", links to it.
    assert 'id="tokens-link"' in admin.get("/console/users").text
    token = page_token(admin, "/console/tokens")
    made = admin.post(
        "/console/tokens",
        data={"csrf_token": token, "username": "steward", "name": "登记数据推送", "days": "30"},
    )
    assert made.status_code == 200, made.text[-2000:]
    secret = re.search(r'<code id="secret">([^<]+)</code>', made.text)
    assert secret, made.text[-2000:]
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert portal.client().get("/api/v1/me", headers=bearer).json()["username"] == "steward"
    # Listed afterwards (never its secret), with a button to revoke it.
    listed = admin.get("/console/tokens").text
    assert "登记数据推送" in listed and secret.group(1) not in listed
    # API tokens only, not every browser's sign-in session (kind "login").
    with portal.factory() as s:
        api = s.scalar(select(func.count()).where(ApiToken.kind == "api"))
    assert len(re.findall(r'<tr id="token-\d+">', listed)) == api
    revoke = re.search(r'action="(/console/tokens/(\d+)/revoke)"', listed)
    assert revoke
    done = admin.post(
        revoke.group(1),
        data={"csrf_token": page_token(admin, "/console/tokens")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert portal.client().get("/api/v1/me", headers=bearer).status_code == 401
    # A refused issue (no such user) keeps what was typed, beside the form.
    refused = admin.post(
        "/console/tokens",
        data={"csrf_token": token, "username": "nobody-here", "name": "x", "days": "30"},
    )
    assert refused.status_code in (400, 404) and 'id="token-error"' in refused.text
    assert 'value="nobody-here"' in refused.text
    assert "用户列表" in refused.text and "huiqi user list" not in refused.text  # in Chinese
    # Nobody else opens it.
    steward = sign_in(portal.client(), "steward")
    assert steward.get("/console/tokens", follow_redirects=False).status_code == 403
