"""In real headless Chromium against ``huiqi serve`` (qa4): a form the server refuses is
answered by Post/Redirect/Get (``huiqi.web.refused_forms``), so that "Back" and then
"Forward" never ask to send the form again (Chromium's "Confirm Form Resubmission",
ERR_CACHE_MISS), and the refusal comes back with what was typed.

The refused POST was answered with the form's page and a 4xx status: the history held
the POST, and going forward to it again was Chromium's ERR_CACHE_MISS page.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import launch, needs_chromium, serving, sign_in_page
from portal_data import Portal

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(portal, tmp_path_factory.mktemp("server")) as base:
        yield base


def test_back_and_forward_after_a_refused_form_show_it_again_without_resending(
    server: str,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context()
            page = sign_in_page(context, server, "ent1")
            page.goto(f"{server}/requests")
            page.fill("#text", "补贴什么时候到账？")
            posts: list[str] = []
            page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
            page.click("#file-button")  # no category chosen: refused
            expect(page.locator("#category-error")).to_contain_text("请选择诉求类别")
            refused_at = page.url
            expect(page.locator("#text")).to_have_value("补贴什么时候到账？")
            assert len(posts) == 1

            back = page.go_back()
            assert back is not None and back.ok
            assert page.url == f"{server}/requests"
            expect(page.locator("#category-error")).to_have_count(0)

            # Before the fix: net::ERR_CACHE_MISS here (the history held the POST).
            forward = page.go_forward()
            assert forward is not None and forward.status == 400
            assert page.url == refused_at and "shown=" in refused_at  # a GET's address
            expect(page.locator("#category-error")).to_contain_text("请选择诉求类别")
            expect(page.locator("#text")).to_have_value("补贴什么时候到账？")
            page.reload()  # a reload is a GET too: nothing is sent again
            expect(page.locator("#text")).to_have_value("补贴什么时候到账？")
            assert len(posts) == 1  # the form was sent once, whatever the history did

            # The plain address is the empty form: the refusal is shown by its own address.
            page.goto(f"{server}/requests")
            expect(page.locator("#category-error")).to_have_count(0)
            # Another browser session (another cookie) is not shown it.
            other = browser.new_context()
            stranger = sign_in_page(other, server, "ent2")
            stranger.goto(refused_at)
            assert "shown=" not in stranger.url
            assert "补贴什么时候到账？" not in stranger.content()
        finally:
            browser.close()


def test_a_refused_sign_in_keeps_its_name_back_and_forth(server: str) -> None:
    """The sign-in form, before any session: its refusal is kept for the browser by the
    sign-in form's own CSRF cookie."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{server}/login")
            page.fill("#username", "ent1")
            page.fill("#password", "not-the-password")
            page.press("#password", "Enter")
            expect(page.locator("#password-error")).to_be_visible()
            expect(page.locator("#username")).to_have_value("ent1")
            page.go_back()
            forward = page.go_forward()  # before the fix: net::ERR_CACHE_MISS
            assert forward is not None and forward.status == 400
            assert "shown=" in page.url
            expect(page.locator("#username")).to_have_value("ent1")
            expect(page.locator("#password-error")).to_be_visible()
        finally:
            browser.close()
