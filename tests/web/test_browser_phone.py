"""In real headless Chromium against ``huiqi serve`` (QA, qa4): what only a browser shows.

At a phone's width (375 px) the enterprise's pages scrolled sideways: the header's links
did not wrap (in English the header was 619 px wide; in Chinese each link was squeezed
to one character a line), the catalogue's department list was wider than the screen, and
wide tables pushed the page. Now the page fits the screen; a wide table scrolls in its
own box.

The draft editor saves with htmx, which drops an answer of 400: emptying the text and
saving did nothing at all, with no message. The refusal is now shown beside the text; and
the line above it ("no draft yet") is the saved draft's after the first save. After the
session ended, saving swapped the sign-in page in for the editor: the editor and the text
typed in it vanished. The editor now stays, with a link to the page that answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_support import launch, needs_chromium, serving, sign_in_page
from portal_data import OFFER, Portal

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = needs_chromium
PHONE = {"width": 375, "height": 800}
PAGES = {
    "ent0": ["/home", "/grants", "/requests", "/my-data", "/policies", "/inbox"],
    # The console's own row of links did not wrap either (English: 488 px).
    "admin": ["/console/users", "/console/audit", "/console/dashboard"],
}


@pytest.fixture(scope="module")
def server(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(portal, tmp_path_factory.mktemp("server")) as base:
        yield base


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_enterprise_pages_fit_a_phone(server: str, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=PHONE)
            context.add_cookies([{"name": "huiqi_lang", "value": lang, "url": server}])
            for user, paths in PAGES.items():
                _fit(sign_in_page(context, server, user), server, paths, lang)
                context.clear_cookies()
                context.add_cookies([{"name": "huiqi_lang", "value": lang, "url": server}])
        finally:
            browser.close()


def _fit(page: Page, server: str, paths: list[str], lang: str) -> None:
    for path in paths:
        page.goto(f"{server}{path}")
        wide, seen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide <= seen, f"{path} ({lang}) is {wide} px wide on a {seen} px screen"
        # Each of the header's links reads on one line, never a character a line.
        tallest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('header nav a')]"
            ".map(a => a.getBoundingClientRect().height))"
        )
        assert tallest < 40, f"{path} ({lang}): a header link is {tallest} px tall"


def test_an_emptied_draft_is_refused_beside_its_text(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = sign_in_page(context, server, "author")
            page.goto(f"{server}/console/policies/{OFFER}/draft")
            text = page.input_value("#text")
            meta = page.locator("#editor p.meta")
            expect(meta).to_contain_text("尚无草稿")
            page.fill("#text", "")
            page.click("#save-button")
            expect(page.locator("#text-errors")).to_contain_text("请先填写政策文本（YAML）再保存。")
            expect(page.locator("#text")).to_have_attribute("aria-invalid", "true")
            page.fill("#text", text)
            page.click("#save-button")
            expect(page.locator("#saved")).to_be_visible()
            expect(meta).to_contain_text("author")  # "Saved by author on …"
            expect(meta).not_to_contain_text("尚无草稿")
            # The session ends (signed out elsewhere): saving answers the sign-in page, which
            # was swapped in for the editor, blanking it with the text typed in it.
            context.clear_cookies()
            page.fill("#text", text + "\n# typed after the session ended\n")
            page.click("#save-button")
            said = page.locator("#editor [data-unswapped] a")
            expect(said).to_have_text("登录")
            assert "/login?next=" in (said.get_attribute("href") or "")
            assert "# typed after the session ended" in page.input_value("#text")
        finally:
            browser.close()
