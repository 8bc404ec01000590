"""The single sign-on in a real browser: Debian's Chromium, `huiqi serve` configured by
its ``HUIQI_OIDC_*`` environment, and the test provider on another port of 127.0.0.1
(``oidc_provider.py``). The browser follows every redirect itself, so the flow's cookie,
its SameSite setting and the callback are exercised as a user's browser would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import launch, needs_chromium, serving
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from portal_data import Portal

from huiqi.web.security import SESSION_COOKIE

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as p:
        yield p


@pytest.fixture(scope="module")
def sso_server(
    portal: Portal, provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {
        "HUIQI_OIDC_ISSUER": provider.issuer,
        "HUIQI_OIDC_CLIENT_ID": CLIENT_ID,
        "HUIQI_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    with serving(portal, tmp_path_factory.mktemp("sso-server"), **env) as base:
        yield base


def test_an_enterprise_signs_in_through_the_single_sign_on_in_a_browser(
    portal: Portal, provider: Provider, sso_server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    provider.tamper = ""
    provider.user = {"preferred_username": "ent0", "sub": "gov-0001"}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{sso_server}/grants")  # signed out: sent to the sign-in page
            page.wait_for_url(lambda url: "/login" in url)
            page.get_by_role("link", name="使用政务统一身份认证登录").click()
            # provider → callback → the page asked for first, signed in
            page.wait_for_url(lambda url: url.startswith(sso_server) and url.endswith("/grants"))
            cookies = {c["name"]: c for c in page.context.cookies()}
            session = cookies[SESSION_COOKIE]
            assert session["httpOnly"] and session["sameSite"] in ("Lax", "Strict")
            assert "huiqi_oidc" not in cookies  # the flow's cookie is spent
            me = page.request.get(f"{sso_server}/api/v1/me").json()
            assert me["username"] == "ent0"
            page.goto(f"{sso_server}/home")
            expect(page.locator("main")).to_be_visible()
            assert "/login" not in page.url
        finally:
            browser.close()


def test_a_refused_identity_stays_signed_out_with_a_message(
    portal: Portal, provider: Provider, sso_server: str
) -> None:
    from playwright.sync_api import sync_playwright

    provider.tamper = "signature"  # an ID token signed by a key the provider never published
    provider.user = {"preferred_username": "ent0", "sub": "gov-0001"}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            try:
                page = browser.new_context().new_page()
                page.goto(f"{sso_server}/login")
                page.get_by_role("link", name="使用政务统一身份认证登录").click()
                page.wait_for_load_state()
                assert page.url.startswith(sso_server)
                assert page.request.get(f"{sso_server}/api/v1/me").status == 401
                assert "Traceback" not in page.content()
            finally:
                browser.close()
    finally:
        provider.tamper = ""
