"""In real headless Chromium against ``huiqi serve`` (QA, qa9): a form the server refuses
comes back with what was typed in it, and the focus on the field it names (the first
field of a group it names).

The focus was at the page's top after a refusal: a keyboard or screen-reader user had to
find the message and the field again. It now goes to the first field marked invalid.
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


def test_a_refused_request_keeps_its_text_and_focuses_the_field_named(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 800})
            page = sign_in_page(context, server, "ent1")
            page.goto(f"{server}/requests")
            page.fill("#text", "补贴什么时候到账？")
            page.click("#file-button")  # no category chosen
            expect(page.locator("#category-error")).to_contain_text("请选择诉求类别")
            expect(page.locator("#text")).to_have_value("补贴什么时候到账？")
            expect(page.locator("#category")).to_be_focused()
            # A page with nothing refused keeps the focus where the browser puts it.
            page.goto(f"{server}/requests")
            expect(page.locator("body")).to_be_focused()
            # A group marked invalid (the stars' fieldset) focuses its first field.
            page.goto(f"{server}/grants")
            page.locator("a.rate").first.click()
            page.fill("#comment", "到账很快")
            page.click("#rate-button")  # no stars chosen
            expect(page.locator("#stars-error")).to_be_visible()
            expect(page.locator("#comment")).to_have_value("到账很快")
            expect(page.locator("input[name=stars]").first).to_be_focused()
        finally:
            browser.close()
