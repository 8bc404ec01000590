"""Sign-in through an OpenID Connect single sign-on, against a real provider running on
127.0.0.1 (``oidc_provider.py``): the full authorization code flow with PKCE, driven by
an HTTP client, and the refusals (state, nonce, audience, expiry, signature, issuer,
unknown user, throttling)."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from portal_data import Portal
from sqlalchemy import func, select

from huiqi.accounts.models import User
from huiqi.accounts.oidc import OidcSettings
from huiqi.accounts.throttle import ThrottlePolicy
from huiqi.delivery.models import Event
from huiqi.errors import ConfigError
from huiqi.web.security import SESSION_COOKIE
from huiqi.web.settings import WebSettings


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as p:
        yield p


@pytest.fixture(autouse=True)
def honest(provider: Provider) -> None:
    provider.tamper = ""
    provider.user = {"preferred_username": "ent0", "sub": "gov-0001"}


def web_of(provider: Provider, **throttle: int) -> WebSettings:
    oidc = OidcSettings(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    return WebSettings(oidc=oidc, throttle=ThrottlePolicy(**throttle))


def through_provider(client: TestClient, *, next: str = "/") -> tuple[str, dict[str, str]]:
    """Start a sign-in and let the provider answer: the callback path and its query."""
    start = client.get("/login/oidc", params={"next": next}, follow_redirects=False)
    assert start.status_code == 303, start.text
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = httpx.URL(answer.headers["location"])
    assert back.host == "testserver" and back.path == "/login/oidc/callback"
    return back.path, dict(back.params)


def sso(client: TestClient, *, next: str = "/") -> httpx.Response:
    path, params = through_provider(client, next=next)
    return client.get(path, params=params, follow_redirects=False)


def _events(portal: Portal, kind: str) -> int:
    with portal.factory() as s:
        return s.scalar(select(func.count()).select_from(Event).where(Event.kind == kind)) or 0


def test_the_sign_in_page_offers_the_single_sign_on_only_when_configured(
    portal: Portal, provider: Provider
) -> None:
    assert "/login/oidc" not in portal.client().get("/login").text
    assert portal.client().get("/login/oidc").status_code == 404
    page = portal.client(web_of(provider)).get("/login").text
    assert "使用政务统一身份认证登录" in page and 'href="/login/oidc?next=/"' in page
    english = portal.client(web_of(provider))
    english.cookies.set("huiqi_lang", "en")
    assert "Sign in with the government single sign-on" in english.get("/login").text


def test_the_full_code_flow_signs_in_the_mapped_account(portal: Portal, provider: Provider) -> None:
    client = portal.client(web_of(provider))
    logins = _events(portal, "login")
    done = sso(client, next="/grants")
    assert done.status_code == 303 and done.headers["location"] == "/grants", done.text
    cookie = next(c for c in done.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    me = client.get("/api/v1/me").json()
    assert me["username"] == "ent0"
    assert client.get("/home").status_code == 200
    assert _events(portal, "login") == logins + 1
    with portal.factory() as s:
        event = s.scalars(
            select(Event).where(Event.kind == "login").order_by(Event.id.desc())
        ).first()
        assert event is not None and event.actor == "ent0"
        assert "OpenID Connect" in (event.reason or "")
        assert event.data == {"iss": provider.issuer, "sub": "gov-0001"}
    # The flow's cookie is spent: the same answer cannot sign in a second time.
    assert "huiqi_oidc" not in client.cookies


def test_an_officer_lands_on_the_console(portal: Portal, provider: Provider) -> None:
    provider.user = {"preferred_username": "officer", "sub": "gov-0002"}
    done = sso(portal.client(web_of(provider)))
    assert done.status_code == 303 and done.headers["location"] == "/console"


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        ("nonce", "nonce"),
        ("audience", "aud"),
        ("expired", "expired"),
        ("signature", "signature"),
        ("issuer", "iss"),
    ],
)
def test_a_wrong_id_token_is_refused(
    portal: Portal, provider: Provider, tamper: str, why: str
) -> None:
    provider.tamper = tamper
    client = portal.client(web_of(provider), address=f"10.9.0.{len(tamper)}")
    failed = _events(portal, "login_failed")
    done = sso(client)
    assert done.status_code == 403, done.text
    assert why in done.text and "统一身份认证未能完成登录" in done.text
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/v1/me").status_code == 401
    assert _events(portal, "login_failed") == failed + 2  # one for the name, one the address


def test_an_answer_for_another_sign_in_is_refused(portal: Portal, provider: Provider) -> None:
    """A code and state sent to someone else's browser (login CSRF) do not sign it in."""
    victim = portal.client(web_of(provider))
    victim.get("/login/oidc", follow_redirects=False)  # the victim's own flow, never finished
    attacker = portal.client(web_of(provider))
    path, params = through_provider(attacker)
    done = victim.get(path, params=params, follow_redirects=False)
    assert done.status_code == 403 and "does not belong to this sign-in" in done.text
    stranger = portal.client(web_of(provider))  # no flow started at all
    assert stranger.get(path, params=params, follow_redirects=False).status_code == 403


def test_an_identity_without_a_huiqi_account_is_refused_and_none_is_created(
    portal: Portal, provider: Provider
) -> None:
    provider.user = {"preferred_username": "zhang.san", "sub": "gov-9999"}
    with portal.factory() as s:
        users = s.scalar(select(func.count()).select_from(User))
    done = sso(portal.client(web_of(provider)))
    assert done.status_code == 403
    assert "zhang.san" in done.text and "huiqi user add" in done.text
    with portal.factory() as s:
        assert s.scalar(select(func.count()).select_from(User)) == users
    provider.user = {"sub": "gov-9998"}  # no preferred_username claim at all
    done = sso(portal.client(web_of(provider)))
    assert done.status_code == 403 and "preferred_username" in done.text


@pytest.mark.parametrize("name", ["ent\x000", "ent0\x07", "ent\u200b0"])
def test_a_user_name_claim_with_a_control_character_is_refused_not_an_error_page(
    portal: Portal, provider: Provider, name: str
) -> None:
    """Regression: a NUL in the provider's user name reached the account look-up, which
    PostgreSQL refuses: the generic error page instead of the sign-on's own refusal."""
    provider.user = {"preferred_username": name, "sub": "gov-9996"}
    done = sso(portal.client(web_of(provider), address="10.9.1.2"))
    assert done.status_code == 403, done.text
    assert "control character" in done.text


def test_a_refusal_shows_the_providers_text_escaped_and_unformatted(
    portal: Portal, provider: Provider
) -> None:
    """Regression: the refusal went through the template's ``_()``, which marks its result
    safe and %-formats it: a user name from the identity provider holding '%' answered
    500, and one holding markup was written into the page as markup."""
    provider.user = {"preferred_username": "<b>100%</b>", "sub": "gov-9997"}
    done = sso(portal.client(web_of(provider), address="10.9.1.1"))
    assert done.status_code == 403, done.text
    assert "&lt;b&gt;100%&lt;/b&gt;" in done.text and "<b>100%</b>" not in done.text


def test_refused_single_sign_ons_are_throttled_like_passwords(
    portal: Portal, provider: Provider
) -> None:
    web = web_of(provider, per_address=2)
    provider.tamper = "nonce"
    for _ in range(2):
        refused = sso(portal.client(web, address="10.8.0.1"))
        assert refused.status_code == 403
    provider.tamper = ""
    path, params = through_provider(client := portal.client(web, address="10.8.0.1"))
    throttled = client.get(path, params=params, follow_redirects=False)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert SESSION_COOKIE not in client.cookies
    # Another address is not held back.
    assert sso(portal.client(web, address="10.8.0.2")).status_code == 303


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    state=st.text(max_size=300),
    code=st.text(max_size=300),
    error=st.text(max_size=50),
    cookie=st.text(alphabet=string.ascii_letters + string.digits + "-_=.", max_size=400),
)
def test_any_callback_query_without_the_flow_is_refused_not_a_server_error(
    portal: Portal, provider: Provider, state: str, code: str, error: str, cookie: str
) -> None:
    client = portal.client(web_of(provider, per_address=10_000), address="10.7.0.1")
    client.cookies.set("huiqi_oidc", cookie)  # whatever a browser might send back
    done = client.get(
        "/login/oidc/callback",
        params={"state": state, "code": code, "error": error},
        follow_redirects=False,
    )
    assert done.status_code == 403 and SESSION_COOKIE not in client.cookies


def test_settings_come_from_the_environment_with_the_secret_required() -> None:
    assert OidcSettings.from_env({}) is None
    env = {
        "HUIQI_OIDC_ISSUER": "https://sso.example.gov.cn",
        "HUIQI_OIDC_CLIENT_ID": "huiqi",
        "HUIQI_OIDC_CLIENT_SECRET": "s3cret",
        "HUIQI_OIDC_USERNAME_CLAIM": "employee_no",
    }
    got = OidcSettings.from_env(env)
    assert got is not None and got.username_claim == "employee_no"
    assert got.discovery == "https://sso.example.gov.cn/.well-known/openid-configuration"
    assert "s3cret" not in repr(got)
    with pytest.raises(ConfigError, match="HUIQI_OIDC_CLIENT_SECRET"):
        OidcSettings.from_env({k: v for k, v in env.items() if k != "HUIQI_OIDC_CLIENT_SECRET"})
    with pytest.raises(ConfigError, match="openid"):
        OidcSettings.from_env(env | {"HUIQI_OIDC_SCOPES": "profile"})
    web = WebSettings.from_env(env)
    assert web.oidc == got and web.throttle.window == dt.timedelta(minutes=15)


def test_a_rotated_signing_key_is_fetched_but_not_for_every_forged_key_id(
    portal: Portal, provider: Provider
) -> None:
    from joserfc.jwk import RSAKey

    client = portal.client(web_of(provider))
    assert sso(client).status_code == 303  # the keys (k1) are fetched and kept
    old = provider.key
    try:
        provider.key = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig"})
        # Just fetched: a new key id does not make every sign-in fetch the keys again.
        again = portal.client(web_of(provider))
        again.app.state.oidc = client.app.state.oidc  # the same worker's cache
        refused = sso(again)
        assert refused.status_code == 403 and "signature" in refused.text
        client.app.state.oidc.refetch_seconds = 0  # as if the minute had passed
        assert sso(again).status_code == 303
    finally:
        provider.key = old
