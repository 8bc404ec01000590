"""Sign-in with session cookies: cookie flags, CSRF on every form, errors beside the field,
throttling counted in the database (so it holds across worker processes), sign-out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_data import PASSWORD, Portal, page_token, sign_in
from sqlalchemy import func, select

from huiqi.accounts import service as accounts
from huiqi.accounts.throttle import ThrottlePolicy
from huiqi.db.engine import session_factory, transaction
from huiqi.db.testing import TEST_URL_ENV, fresh_database, postgres_server_url
from huiqi.delivery.models import Event
from huiqi.web.settings import WebSettings


def test_the_session_cookie_is_httponly_samesite_and_secure_when_asked(portal: Portal) -> None:
    client = portal.client(WebSettings(secure_cookies="always"), https=True)
    token = page_token(client)
    response = client.post(
        "/login",
        data={"username": "ent1", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/home"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("huiqi_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    plain = portal.client()  # auto: not Secure over plain http, Secure over https
    token = page_token(plain)
    response = plain.post(
        "/login",
        data={"username": "ent1", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert "secure" not in response.headers["set-cookie"].lower()
    tls = portal.client(https=True)
    token = page_token(tls)
    response = tls.post(
        "/login",
        data={"username": "ent1", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert "; secure" in response.headers["set-cookie"].lower()


def test_a_form_without_its_csrf_token_is_refused(portal: Portal) -> None:
    client = portal.client()
    page_token(client)
    refused = client.post("/login", data={"username": "ent1", "password": PASSWORD})
    assert refused.status_code == 403 and "huiqi_session" not in client.cookies
    forged = client.post(
        "/login", data={"username": "ent1", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    signed = sign_in(portal.client(), "ent1")
    other = page_token(portal.client())  # a token of another visitor
    for path in ("/logout", "/policies/web-offer/claim", "/inbox/1/read"):
        response = signed.post(path, data={"csrf_token": other}, follow_redirects=False)
        assert response.status_code == 403, path
    assert signed.get("/api/v1/me").status_code == 200  # still signed in


def test_a_wrong_password_is_shown_beside_the_field(portal: Portal) -> None:
    client = portal.client()
    token = page_token(client)
    response = client.post(
        "/login", data={"username": "ent1", "password": "wrong-password", "csrf_token": token}
    )
    assert response.status_code == 400
    assert 'id="password-error"' in response.text and 'aria-invalid="true"' in response.text
    empty = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert 'id="username-error"' in empty.text and 'id="password-error"' in empty.text


def test_sign_in_is_throttled_per_user_name_across_app_instances(portal: Portal) -> None:
    """Two app instances stand for two worker processes: the count is the database's."""
    web = WebSettings(throttle=ThrottlePolicy(per_user=3, per_address=100))
    workers = [portal.client(web), portal.client(web)]
    for i in range(3):
        client = workers[i % 2]
        token = page_token(client)
        client.post("/login", data={"username": "ent2", "password": "nope", "csrf_token": token})
    for client in workers:  # even the right password waits now, on either instance
        token = page_token(client)
        response = client.post(
            "/login", data={"username": "ent2", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
        assert 'id="password-error"' in response.text
    sign_in(portal.client(web), "ent3")  # another user name is not affected


def test_refusals_from_one_address_do_not_lock_the_user_out_elsewhere(portal: Portal) -> None:
    """Regression (QA): five wrong passwords from any address kept the user out from every
    address, so anyone could lock an officer out; the total over addresses still stops a
    guesser spread across many."""
    web = WebSettings(throttle=ThrottlePolicy(per_user=3, per_address=100, per_user_total=5))

    def attempt(address: str, password: str) -> int:
        client = portal.client(web, address=address)
        token = page_token(client)
        data = {"username": "ent6", "password": password, "csrf_token": token}
        return client.post("/login", data=data, follow_redirects=False).status_code

    assert [attempt("198.51.100.1", "nope") for _ in range(3)] == [400, 400, 400]
    assert attempt("198.51.100.1", PASSWORD) == 429  # that address waits
    assert attempt("198.51.100.2", PASSWORD) == 303  # the user, elsewhere, does not
    assert [attempt(f"198.51.100.{i}", "nope") for i in (3, 4)] == [400, 400]
    assert attempt("198.51.100.9", PASSWORD) == 429  # five in all: every address waits


def test_sign_in_is_throttled_per_address_for_unknown_names_too(portal: Portal) -> None:
    web = WebSettings(throttle=ThrottlePolicy(per_user=100, per_address=4))
    client = portal.client(web, address="203.0.113.7")
    for i in range(4):
        token = page_token(client)
        refused = client.post(
            "/login", data={"username": f"ghost{i}", "password": "x", "csrf_token": token}
        )
        assert refused.status_code == 400  # refused, not yet throttled
    token = page_token(client)
    response = client.post(
        "/login", data={"username": "ent4", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    sign_in(portal.client(web, address="203.0.113.8"), "ent4")  # another address may


def test_the_window_passes(portal: Portal) -> None:
    from huiqi.accounts.throttle import check_sign_in_allowed
    from huiqi.db.clock import utcnow
    from huiqi.db.engine import reading

    rule = ThrottlePolicy(per_user=3, per_address=100, window=dt.timedelta(minutes=15))
    later = utcnow() + dt.timedelta(minutes=16)
    with reading(portal.factory) as s:  # ent2's refusals above are outside the window then
        check_sign_in_allowed(s, username="ent2", address=None, policy=rule, now=later)


def test_sign_out_revokes_the_token(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent5")
    secret = client.cookies.get("huiqi_session")
    token = page_token(client, "/policies")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    stale = portal.client()
    stale.cookies.set("huiqi_session", secret or "")
    assert stale.get("/api/v1/me").status_code == 401
    # Regression (QA): a sign-out left no audit event, where a sign-in leaves one.
    from sqlalchemy import select

    from huiqi.delivery.models import Event

    with portal.factory() as s:
        kinds = s.scalars(select(Event.kind).where(Event.actor == "ent5")).all()
    assert "logout" in kinds


def test_an_officer_lands_on_the_console_not_an_enterprise_home(portal: Portal) -> None:
    """qa4: officers landed on the public catalogue, and had to find the console there."""
    client = portal.client()
    token = page_token(client)
    response = client.post(
        "/login",
        data={"username": "officer", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console"
    for path in ("/home", "/"):  # an enterprise's home, and the site's root (the brand)
        home = client.get(path, follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == "/console"
    console = client.get("/console")
    assert console.status_code == 200 and 'href="/console/applications"' in console.text
    assert 'href="/inbox"' not in client.get("/policies").text
    # A sign-in on the way to a page still lands there.
    other = portal.client()
    token = page_token(other)
    response = other.post(
        "/login",
        data={
            "username": "finance",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/policies",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/policies"


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_portal(request: pytest.FixtureRequest, portal: Portal, tmp_path: Path) -> Iterator[Portal]:
    """The portal's store on an empty database of each backend, with only its admin."""
    if request.param == "postgresql" and postgres_server_url() is None:
        pytest.skip(f"set {TEST_URL_ENV} to run PostgreSQL tests")
    with fresh_database(request.param, tmp_path) as engine:
        factory = session_factory(engine)
        with transaction(factory) as s:
            accounts.init_admin(s, username="admin", password=PASSWORD)
        yield Portal(portal.settings, engine, factory, [])


@pytest.mark.parametrize("username", ["adm\x00in", "\x00", "admin\x00"])
def test_a_user_name_with_a_nul_is_a_wrong_user_name(bare_portal: Portal, username: str) -> None:
    """Regression: on PostgreSQL, which cannot compare a NUL, such a name answered the
    generic error page ("Cannot do that", the database's reason) instead of the sign-in
    form's refusal."""
    client = bare_portal.client()
    token = page_token(client)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400
    assert 'id="password-error"' in response.text and "用户名或密码错误" in response.text
    assert "联系系统管理员重新设置" in response.text  # what to do (QA, session 30)
    assert "huiqi_session" not in client.cookies
    with bare_portal.factory() as s:  # refused and counted as any other wrong name
        failed = select(func.count()).where(Event.kind == "login_failed")
        assert s.scalar(failed) == 2  # by name and by address


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_after_sign_in(
    portal: Portal,
) -> None:
    """Regression: a claim (or any form) posted once the session had ended was sent to
    /login?next=/policies/…/claim, the form's own address, which answers POST only: after
    signing in the visitor landed on a 405 "Method Not Allowed" page, in English."""
    from urllib.parse import parse_qs, urlsplit

    from portal_data import OFFER

    from huiqi.web.security import derive

    stale = portal.client()
    stale.cookies.set("huiqi_session", "a-session-that-ended")
    page = f"/policies/{OFFER}?uscc={portal.usccs[6]}"
    sent = stale.post(
        f"/policies/{OFFER}/claim",
        data={"csrf_token": derive("a-session-that-ended"), "record_id": "1"},
        headers={"Referer": f"http://testserver{page}"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    back = parse_qs(urlsplit(sent.headers["location"]).query)["next"]
    assert back == [page], sent.headers["location"]
    client = portal.client()
    token = page_token(client, "/login")
    signed = client.post(
        "/login",
        data={"username": "ent6", "password": PASSWORD, "csrf_token": token, "next": back[0]},
        follow_redirects=False,
    )
    assert signed.headers["location"] == page
    assert client.get(page).status_code == 200
    # Without a page of this site to go back to (no Referer, or another site's): the start.
    for headers in ({}, {"Referer": "https://elsewhere.example/policies"}):
        elsewhere = stale.post(
            "/requests/1/rate",
            data={"csrf_token": derive("a-session-that-ended"), "stars": "5"},
            headers=headers,
            follow_redirects=False,
        )
        assert elsewhere.headers["location"] == "/login?next=/", headers
    # A page asked for with GET comes back to itself, as before.
    asked = stale.get("/grants?rated=1", follow_redirects=False)
    assert parse_qs(urlsplit(asked.headers["location"]).query)["next"] == ["/grants?rated=1"]


def test_an_api_token_used_only_for_reads_shows_its_last_use(portal: Portal) -> None:
    """Regression: the sign-in check reads in a read-only transaction, which left a
    token's last use to "the next write", and none came: an API token used for years
    showed as never used in `huiqi token list`. Now it is written after the read, at
    most every few minutes."""
    from huiqi.accounts.models import ApiToken
    from huiqi.accounts.tokencheck import token_digest

    secret = portal.token("ent1")
    used = select(ApiToken.last_used_at).where(ApiToken.token_hash == token_digest(secret))
    with transaction(portal.factory) as s:
        assert s.scalar(used) is None
    client = portal.client()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).is_success
    with transaction(portal.factory) as s:
        first = s.scalar(used)
    assert first is not None
    # Within LAST_USED_EVERY nothing more is written.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).is_success
    with transaction(portal.factory) as s:
        assert s.scalar(used) == first
