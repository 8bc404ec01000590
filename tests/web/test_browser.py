"""End to end in real headless Chromium (Debian's, driven by Playwright) against a real
server started with ``huiqi serve --workers 2``: an enterprise signs in, sees its offer on its
home, opens the checklist, claims with one click (clicking twice, and again from a second
tab) and sees exactly one grant, and downloads its notice (PDF); an enterprise reports a wrong value in "My data" and rates
its grant; an officer approves an application, sees it leave the queue, and opens the
dashboard, whose ECharts charts draw from the JSON API.

With HUIQI_SCREENSHOTS=1 the home, the policy page and the console's queue and dashboard
are saved under docs/screenshots/.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_support import ARGS, CHROMIUM, ROOT, launch, needs_chromium, serving, sign_in_page
from portal_data import APPLY, OFFER, PASSWORD, Portal
from pypdf import PdfReader
from sqlalchemy import func, select

from huiqi.delivery.feedback_models import CorrectionRequest, Rating
from huiqi.delivery.models import Grant, PolicyVersion
from huiqi.money import format_yuan

pytestmark = needs_chromium
SHOTS = ROOT / "docs" / "screenshots"
ENTERPRISE = 3


@pytest.fixture(scope="module")
def server(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(portal, tmp_path_factory.mktemp("server")) as base:
        yield base


def grants_of(portal: Portal, uscc: str) -> int:
    with portal.factory() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Grant)
                .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
                .where(Grant.uscc == uscc, PolicyVersion.policy_id == OFFER)
            )
            or 0
        )


def test_an_enterprise_claims_its_offer_once_in_a_real_browser(portal: Portal, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    uscc = portal.usccs[ENTERPRISE]
    shots = os.environ.get("HUIQI_SCREENSHOTS") == "1"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.goto(f"{server}/login")
            page.fill("#username", f"ent{ENTERPRISE}")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]:has-text('登录')")
            page.wait_for_url(f"{server}/home")
            card = page.locator(f"section.group-confirm li[data-policy='{OFFER}']")
            assert card.count() == 1
            if shots:
                page.screenshot(path=str(SHOTS / "home.png"), full_page=True)

            second_tab = context.new_page()  # the same offer, open in another tab
            second_tab.goto(f"{server}/policies/{OFFER}")

            card.locator("a").click()
            page.wait_for_url(f"{server}/policies/{OFFER}")
            assert page.locator(".checklist li.state-met").count() == 2  # staff, district
            assert "2 项条件中的 2 项" in page.inner_text("section.mine")
            # Each value with its registry's name and its unit, as a person reads them.
            checklist = page.inner_text(".checklist")
            assert "人社局 社会保险" in checklist and " 人" in checklist
            assert "social_insurance" not in checklist and "persons" not in checklist
            if shots:
                page.screenshot(path=str(SHOTS / "policy.png"), full_page=True)

            assert grants_of(portal, uscc) == 0
            page.dblclick("#claim-button")
            page.wait_for_url(f"{server}/policies/{OFFER}?claim=*")
            assert page.locator("#grant").count() == 1
            page.reload()
            assert page.locator("#grant").count() == 1

            second_tab.click("#claim-button")
            second_tab.wait_for_url(f"{server}/policies/{OFFER}?claim=already")
            grant_text = page.inner_text("#grant")
            assert second_tab.inner_text("#grant") == grant_text

            # The grants page draws its chart from /api/v1/grants with ECharts.
            page.goto(f"{server}/grants")
            page.wait_for_selector("#grants-chart canvas")
            assert page.locator("table.grants tbody tr").count() == 2  # auto + the claim

            # The claimed grant's notice downloads as a PDF with the amount in it.
            row = page.locator(
                "table.grants tbody tr", has=page.locator(f"a[href='/policies/{OFFER}']")
            )
            with page.expect_download() as info:
                row.locator("a.notice-pdf").click()
            download = info.value
            assert download.suggested_filename.endswith("-notice.pdf")
            body = Path(download.path()).read_bytes()
            assert body.startswith(b"%PDF-")
            text = "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(body)).pages)
            assert "￥5,000.00 元" in text and f"测试政策{OFFER}" in text

            # The inbox marks a message read in place (htmx, with the CSRF header).
            page.goto(f"{server}/inbox")
            unread = page.locator("li.message.unread").count()
            assert unread >= 1
            marked = page.locator("li.message.unread").first.get_attribute("id")
            page.locator("li.message.unread button").first.focus()
            page.keyboard.press("Enter")  # as a keyboard user marks it read
            # A locator assertion, not wait_for_function: the page's CSP forbids the eval
            # that a polled string predicate needs (it failed whenever the swap was slow).
            expect(page.locator("li.message.unread")).to_have_count(unread - 1)
            assert page.url == f"{server}/inbox"  # no page load: the item was swapped
            # The button went with the swap; the focus fell to the page's top (qa9). It is
            # now on the message just read, so that the next Tab goes on from there.
            expect(page.locator(f"li#{marked}")).to_be_focused()
        finally:
            browser.close()
    assert grants_of(portal, uscc) == 1


def test_an_enterprise_reports_a_wrong_value_and_rates_its_grant(
    portal: Portal, server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    user, uscc = "ent4", portal.usccs[4]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = sign_in_page(browser.new_context(), server, user)
            page.click("header nav a[href='/my-data']")
            row = page.locator("tr[data-field='insured_employees']")
            expect(row).to_contain_text("6 人")
            row.locator("a.report").focus()
            page.keyboard.press("Enter")
            page.wait_for_url(f"{server}/my-data/correct?*")
            page.focus("#value")
            page.keyboard.type("60")
            page.fill("#comment", "年报漏报了外地分支机构的参保人数")
            page.click("#report-button")
            page.wait_for_url(f"{server}/my-data?reported=*")
            expect(page.locator("p.notice")).to_contain_text("已发送")
            expect(row).to_contain_text("处理中")

            page.goto(f"{server}/grants")
            page.locator("a.rate").first.click()
            page.wait_for_url(f"{server}/grants/*/rate")
            page.click("#rate-button")  # no stars chosen: told so next to the stars
            expect(page.locator("#stars-error")).to_be_visible()
            page.check("input[name=stars][value='5']")
            page.fill("#comment", "免申即享，很方便")
            page.click("#rate-button")
            page.wait_for_url(f"{server}/grants?rated=*")
            expect(page.locator("table.grants .stars")).to_have_text("★★★★★")
        finally:
            browser.close()
    with portal.factory() as s:
        [correction] = s.scalars(select(CorrectionRequest).where(CorrectionRequest.uscc == uscc))
        [rating] = s.scalars(select(Rating).where(Rating.uscc == uscc))
    assert (correction.proposed_value, correction.status) == ("60", "open")
    assert (rating.stars, rating.comment) == (5, "免申即享，很方便")


def test_an_officer_approves_an_application_and_sees_the_dashboard_chart(
    portal: Portal, server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    client = httpx.Client(base_url=server)
    owner = {"Authorization": f"Bearer {portal.token('ent5')}"}
    [record] = client.get("/api/v1/records", params={"policy_id": APPLY}, headers=owner).json()
    assert client.post(f"/api/v1/records/{record['id']}/submit", headers=owner).status_code == 200
    shots = os.environ.get("HUIQI_SCREENSHOTS") == "1"
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = sign_in_page(
                browser.new_context(viewport={"width": 1200, "height": 900}), server, "officer"
            )
            page.click("header nav a[href='/console']")
            page.click("a[href='/console/applications']")
            item = page.locator(f"#application-{record['id']}")
            expect(item).to_be_visible()
            if shots:
                page.screenshot(path=str(SHOTS / "console-applications.png"), full_page=True)
            item.locator("button.approve").click()
            page.wait_for_url(f"{server}/console/applications?done=approved*")
            expect(page.locator(f"#application-{record['id']}")).to_have_count(0)
            expect(page.locator("p.notice")).to_contain_text("已批准")

            page.click("nav.console-nav a[href='/console/dashboard']")
            for chart in ("district", "department", "month", "policy-status"):
                page.wait_for_selector(f"#chart-{chart} canvas")
            expect(page.locator("#chart-district")).to_have_attribute("data-drawn", "1")
            if shots:
                page.screenshot(path=str(SHOTS / "console-dashboard.png"), full_page=True)
        finally:
            browser.close()
    with portal.factory() as s:
        assert s.scalar(select(func.count()).where(Grant.entitlement_id == record["id"])) == 1


def test_the_policy_chart_names_policies_by_title_in_both_languages(
    portal: Portal, server: str
) -> None:
    """Regression: the dashboard's grants-by-policy-and-status chart labelled its axis with
    policy ids. Its axis now shows each title in the page's language, shortened when long,
    and its tooltip the full title with the id (encoded: a title is an officer's text)."""
    from playwright.sync_api import sync_playwright

    read = """() => {
      const chart = echarts.getInstanceByDom(document.getElementById("chart-policy-status"));
      const option = chart.getOption(), axis = option.xAxis[0];
      const tip = option.tooltip[0].formatter(
        [{axisValue: "web-auto", marker: "", seriesName: "<i>granted</i>", value: 2}]);
      return {ids: axis.data, labels: axis.data.map((c) => axis.axisLabel.formatter(c)), tip};
    }"""
    long_titles = [
        "测试政策web-auto",
        "上海市高新技术企业认定奖励资金管理办法实施细则",
        "Subsidy for the certification of high-tech enterprises in Shanghai",
        "A" * 30,
    ]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = sign_in_page(browser.new_context(), server, "officer")
            seen = {}
            for lang in ("zh", "en"):
                page.goto(f"{server}/lang/{lang}")
                page.goto(f"{server}/console/dashboard")
                page.wait_for_selector("#chart-policy-status[data-drawn='1']")
                seen[lang] = page.evaluate(read)
            short = page.evaluate("(xs) => xs.map(window.huiqiShortLabel)", long_titles)
        finally:
            browser.close()
    for lang, title in (("zh", "测试政策web-auto"), ("en", "Test policy web-auto")):
        chart = seen[lang]
        assert "web-auto" in chart["ids"], chart
        assert chart["labels"][chart["ids"].index("web-auto")] == title
        assert not set(chart["labels"]) & set(chart["ids"])  # every policy by its title
        assert chart["tip"].startswith(f"<strong>{title} (web-auto)</strong>"), chart["tip"]
        assert "&lt;i&gt;granted&lt;/i&gt;" in chart["tip"]
    assert short == [
        "测试政策web-auto",
        "上海市高新技术企业认定…",
        "Subsidy for the…",
        "A" * 23 + "…",
    ]


def test_an_author_simulates_a_draft_and_sees_its_charts(portal: Portal, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = sign_in_page(browser.new_context(), server, "author")
            page.goto(f"{server}/console/simulate")
            page.select_option("#start", OFFER)
            page.click("text=打开政策文本")
            expect(page.locator("#text")).to_contain_text("insured_employees > 0")
            page.click("#simulate-button")
            expect(page.locator("#sim-eligible")).to_have_text("8")
            page.wait_for_selector("#sim-district_code canvas")
            expect(page.locator("#sim-size_class")).to_have_attribute("data-drawn", "1")
        finally:
            browser.close()


def test_the_charts_write_yuan_exactly_as_the_server_does(server: str) -> None:
    """Regression: the grants chart and the dashboard wrote (fen / 100).toLocaleString(),
    so 2,000.50 yuan read '2,000.5'; the pages' scripts now format whole fen the way
    huiqi.money.format_yuan does."""
    from playwright.sync_api import sync_playwright

    amounts = [0, 5, 99, 100, 200_050, -1_234_567, 123_456_789_012_345, 1_000_000_00]
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.goto(f"{server}/policies")
            page.wait_for_function("typeof window.huiqiYuan === 'function'")
            shown = page.evaluate("(xs) => xs.map((x) => window.huiqiYuan(x))", amounts)
        finally:
            browser.close()
    assert shown == [format_yuan(a) for a in amounts]


def test_a_signed_in_page_loads_without_a_failed_request_or_console_error(
    portal: Portal, server: str
) -> None:
    """Regression: every page asked for /favicon.ico, which the portal does not serve: a
    404 and a console error on each page. The pages link the portal's own icon."""
    from playwright.sync_api import sync_playwright

    failed: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context()
            page = sign_in_page(context, server, "author")
            page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(f"{server}/")
            page.wait_for_load_state("networkidle")
            icon = page.evaluate("document.querySelector('link[rel=icon]').href")
            status = context.request.get(icon).status
        finally:
            browser.close()
    assert (failed, errors) == ([], [])
    assert status == 200
