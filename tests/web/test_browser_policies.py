"""End to end in real headless Chromium against ``huiqi serve``: an officer opens a draft of
a published 直达快享 policy, lowers its threshold, saves (and sees the lint and test-case
results), simulates the draft, publishes it (a job whose page refreshes itself until it is
done); then an enterprise that the new threshold lets in signs in and sees the new offer
on its home page.

With HUIQI_SCREENSHOTS=1 the policies list and the draft editor are saved under
docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import ROOT, launch, needs_chromium, serving, sign_in_page
from portal_data import PASSWORD, Portal, portal_world
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store, policy_yaml

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.models import Entitlement, PolicyVersion
from huiqi.delivery.publish import deliver
from huiqi.delivery.versions import publish_text

pytestmark = needs_chromium
SHOTS = ROOT / "docs" / "screenshots"
POLICY = "e2e-rent-offer"  # a 直达快享 policy: 20 insured staff or more, 1000 yuan each
BEFORE, AFTER = "insured_employees >= 20", "insured_employees >= 8"
NEWCOMER = 7  # ent7 has 9 insured staff: not eligible at 20, eligible at 8
CASES = """tests:
  - name: a large employer
    profile: {insured_employees: 30}
    expect: {status: eligible, amount: "30000.00"}
  - name: nobody insured
    profile: {insured_employees: 0}
    expect: {status: not_eligible, failing: [insured]}
"""


def text(version: int, rule: str) -> str:
    return (
        policy_yaml(POLICY, delivery="confirm", version=version).replace(
            "insured_employees > 0", rule
        )
        + CASES
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with portal_world(tmp_path_factory.mktemp("portal")) as portal:
        # The registry's districts: the district publisher's simulation counts its own.
        build_store(
            portal.settings.data_dir, {c: 2 + i for i, c in enumerate(portal.usccs)}, districts=True
        )
        pv, _ = publish_text(portal.factory, text(1, BEFORE), f"{POLICY}.yaml", actor=OFFICER)
        assert deliver(portal.settings, portal.factory, pv.id, actor=OFFICER).matched == 0
        with transaction(portal.factory) as s:
            admin = accounts.actor_of(accounts.find_user(s, "admin"))
            accounts.add_user(
                s,
                actor=admin,
                username="publisher",
                roles=[
                    RoleGrant(Role.POLICY_AUTHOR, "district:310115"),
                    RoleGrant(Role.POLICY_PUBLISHER, "district:310115"),
                ],
                password=PASSWORD,
            )
        yield portal


@pytest.fixture(scope="module")
def server(world: Portal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(world, tmp_path_factory.mktemp("server")) as base:
        yield base


def test_an_officer_edits_simulates_and_publishes_and_the_enterprise_sees_the_offer(
    world: Portal, server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = os.environ.get("HUIQI_SCREENSHOTS") == "1"
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = sign_in_page(
                browser.new_context(viewport={"width": 1200, "height": 900}), server, "publisher"
            )
            page.goto(f"{server}/console/policies")
            row = page.locator(f"tr[data-policy='{POLICY}']")
            expect(row).to_contain_text("已发布")
            if shots:
                page.screenshot(path=str(SHOTS / "console-policies.png"), full_page=True)
            row.locator("a.edit-draft").click()
            page.wait_for_url(f"{server}/console/policies/{POLICY}/draft")
            editor = page.locator("#text")
            expect(editor).to_have_value(text(1, BEFORE))
            # First a save that keeps the published version number: the check says why not.
            page.click("#save-button")
            expect(page.locator("#check-summary")).to_contain_text("尚不能发布")
            expect(page.locator("#text-errors")).to_contain_text("第 2 行")
            expect(page.locator("#text")).to_have_attribute("aria-invalid", "true")
            # Lower the threshold and raise the version: lint passes, both cases pass.
            page.fill("#text", text(2, AFTER))
            page.click("#save-button")
            expect(page.locator("#check-summary")).to_contain_text("可以发布")
            expect(page.locator("#check-summary")).to_contain_text("2 个通过，0 个未通过")
            expect(page.locator("#text")).not_to_have_attribute("aria-invalid", "true")
            if shots:
                page.screenshot(path=str(SHOTS / "console-draft.png"), full_page=True)
            page.click("#simulate-link")
            page.wait_for_url(f"{server}/console/simulate?draft={POLICY}")
            expect(page.locator("#text")).to_have_value(text(2, AFTER))
            page.click("#simulate-button")
            # Of ent0 … ent7 (2 … 9 insured), ent6 and ent7 have 8 or more.
            expect(page.locator("#sim-eligible")).to_have_text("2")
            page.goto(f"{server}/console/policies/{POLICY}/draft")
            page.click("#publish-button")
            # Published in the background: the job's page refreshes itself until it is done.
            page.wait_for_url(re.compile(rf"{re.escape(server)}/console/jobs/\d+$"))
            expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=60_000)
            expect(page.locator("#job-counts")).to_contain_text("2")
            page.goto(f"{server}/console/policies")
            expect(page.locator(f"tr[data-policy='{POLICY}'] .versions li")).to_have_count(2)

            home = sign_in_page(browser.new_context(), server, f"ent{NEWCOMER}")
            home.goto(f"{server}/home")
            card = home.locator(f"section.group-confirm li[data-policy='{POLICY}']")
            expect(card).to_have_count(1)
            expect(card).to_contain_text("9,000")
        finally:
            browser.close()
    with world.factory() as s:
        pv = s.scalar(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == POLICY, PolicyVersion.version == 2
            )
        )
        assert pv is not None and pv.published_by == "publisher"
        offers = s.scalar(select(func.count()).where(Entitlement.policy_version_id == pv.id))
    assert offers == 2
