"""Accessibility in real headless Chromium: axe-core (vendored under ``vendor/axe-core``,
nothing fetched) runs on every page of the product, for each kind of visitor and in both
languages, and finds no serious or critical violation; an enterprise signs in and claims
an offer with the keyboard alone; form errors are shown next to their field and tied to
it (``aria-invalid``, ``aria-describedby``)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import launch, needs_chromium, serving, sign_in_page
from portal_data import APPLY, AUTO, OFFER, PASSWORD, Portal
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store

from huiqi.accounts import service as accounts
from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.complaints.export import write_stream
from huiqi.complaints.intake import import_complaints
from huiqi.complaints.service import detect_complaints
from huiqi.complaints.synth import Scenario
from huiqi.complaints.synth import generate as generate_complaints
from huiqi.db.engine import reading, transaction
from huiqi.delivery import drafts
from huiqi.delivery import service as ledger
from huiqi.delivery.models import DirectoryEntry, Entitlement, Grant
from huiqi.delivery.publish import deliver
from huiqi.desk.models import DeskRequest
from huiqi.desk.sweep import sweep
from huiqi.jobs.models import Job

pytestmark = needs_chromium
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PARK = "测试科技园"
KEYBOARD = 6  # the enterprise that claims with the keyboard
LOST = 7  # the enterprise whose records are flagged for review
LANGUAGES = ("zh-CN", "en")
BROKEN_DRAFT = f"id: {APPLY}\nversion: 2\nlevel: [\n"  # a YAML error on line 4
# axe's findings of these impacts fail the test; its rules are WCAG 2.x A and AA.
BLOCKING = ("serious", "critical")
RUN = """async (impacts) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({
        target: n.target.join(" "), html: n.html.slice(0, 160), why: n.failureSummary,
      })),
    }));
}"""


@pytest.fixture(scope="module")
def world(portal: Portal) -> Portal:
    """The portal with something in every queue: a park operator, a submitted application,
    an open correction request and a record flagged for review."""
    with transaction(portal.factory) as s:
        s.execute(
            update(DirectoryEntry)
            .where(DirectoryEntry.uscc.in_(portal.usccs[:3]))
            .values(park=PARK)
        )
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="park",
            roles=[RoleGrant(Role.PARK_OPERATOR, PARK)],
            password=PASSWORD,
        )
        accounts.add_user(
            s,
            actor=admin,
            username="everything",
            roles=[
                RoleGrant(Role.POLICY_AUTHOR, "*"),
                RoleGrant(Role.POLICY_REVIEWER, "*"),
                RoleGrant(Role.DATA_STEWARD),
                RoleGrant(Role.FINANCE_OFFICER),
                RoleGrant(Role.DESK_OFFICER, "*"),
                RoleGrant(Role.DESK_HEAD, "*"),
                RoleGrant(Role.COMPLAINT_OFFICER),
            ],
            password=PASSWORD,
        )
    client = portal.client()
    owner = {"Authorization": f"Bearer {portal.token('ent5')}"}
    [app] = client.get("/api/v1/records", params={"policy_id": APPLY}, headers=owner).json()
    assert client.post(f"/api/v1/records/{app['id']}/submit", headers=owner).status_code == 200
    made = client.post(
        "/api/v1/corrections",
        json={"field": "insured_employees", "year": 2025, "value": 70},
        headers=owner,
    )
    assert made.status_code == 200, made.text
    asked = client.post(
        "/api/v1/requests",
        json={"category": "policy", "text": "这项政策何时兑现？", "policy_id": OFFER},
        headers={"Authorization": f"Bearer {portal.token('ent0')}"},
    )
    assert asked.status_code == 200, asked.text
    # The sweep on the day the request is due and the day after: a reminder and an
    # escalation in the officers' inbox.
    due = dt.date.fromisoformat(asked.json()["ack_due"])
    with transaction(portal.factory) as s:
        sweep(s, actor=SCHEDULER, now=dt.datetime.combine(due, dt.time(1)))
        sweep(s, actor=SCHEDULER, now=dt.datetime.combine(due + dt.timedelta(days=1), dt.time(1)))
    with transaction(portal.factory) as s:  # a draft whose text does not load: errors shown
        everything = accounts.actor_of(accounts.find_user(s, "everything"))
        drafts.save_draft(s, actor=everything, policy_id=APPLY, text=BROKEN_DRAFT)
    with transaction(portal.factory) as s:  # a publishing job done, and one interrupted
        pv = ledger.latest_version(s, OFFER)
        for state in ("done", "interrupted"):
            s.add(
                Job(
                    kind="publish",
                    policy_id=OFFER,
                    level=pv.level,
                    region=pv.region,
                    department=pv.department,
                    policy_version_id=pv.id,
                    version=pv.version,
                    state=state,
                    phase="done" if state == "done" else "delivering",
                    chunk=1,
                    chunks=1 if state == "done" else 4,
                    offered=3,
                    new_records=3,
                    started_by="everything",
                )
            )
    employees = {code: 2 + i for i, code in enumerate(portal.usccs)} | {portal.usccs[LOST]: 0}
    build_store(portal.settings.data_dir, employees)
    with reading(portal.factory) as s:
        pv = ledger.latest_version(s, AUTO)
    assert deliver(portal.settings, portal.factory, pv.id, actor=OFFICER).flagged == 1
    # Complaints with planted professional complainants, detected: the review queue.
    stream = generate_complaints(Scenario(complaints=600, seed=4))
    export, _ = write_stream(stream, portal.settings.data_dir / "complaints-export")
    reviewer = Actor.of("reviewer", "complaint_officer")
    with transaction(portal.factory) as s:
        import_complaints(portal.settings, s, actor=reviewer, path=export)
        assert detect_complaints(s, actor=reviewer).flagged > 0
    return portal


@pytest.fixture(scope="module")
def server(world: Portal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # With a single sign-on configured, so that the sign-in page shows its link too (the
    # provider is not asked anything until someone follows it).
    sso = {
        "HUIQI_OIDC_ISSUER": "http://127.0.0.1:9/sso",
        "HUIQI_OIDC_CLIENT_ID": "huiqi",
        "HUIQI_OIDC_CLIENT_SECRET": "not-used-here",
    }
    with serving(world, tmp_path_factory.mktemp("server"), **sso) as base:
        yield base


def pages_of(world: Portal) -> dict[str | None, list[str]]:
    """Every page of the product, by who looks at it (None: anonymous)."""
    with world.factory() as s:
        grant = s.scalar(select(Grant.id).where(Grant.uscc == world.usccs[0]).limit(1))
        record = s.scalar(
            select(Entitlement.id).where(
                Entitlement.uscc == world.usccs[0], Entitlement.status == "offered"
            )
        )
        asked = s.scalar(select(DeskRequest.id).where(DeskRequest.uscc == world.usccs[0]))
        jobs = list(s.scalars(select(Job.id).order_by(Job.id)))
    return {
        None: ["/policies", "/policies?q=研发", f"/policies/{OFFER}", "/calculator", "/login"],
        "ent0": [
            "/home",
            f"/policies/{OFFER}",
            f"/policies/{APPLY}",
            "/almost",
            "/my-data",
            "/my-data/correct?field=insured_employees&year=2025",
            "/inbox",
            "/grants",
            f"/grants/{grant}/rate",
            f"/records/{record}/rate",
            "/requests",
            f"/requests/{asked}",
        ],
        "park": ["/home", "/grants", "/requests"],
        "everything": [
            "/console",
            "/console/applications",
            "/console/corrections",
            "/console/flagged",
            "/console/requests",
            f"/console/requests/{asked}",
            "/console/requests/stats",
            "/console/complaints",
            "/console/dashboard",
            "/console/simulate",
            "/console/policies",
            f"/console/policies/{OFFER}/draft",
            f"/console/policies/{APPLY}/draft",
            f"/console/simulate?draft={APPLY}",
            "/console/finance",
            "/console/inbox",
            *(f"/console/jobs/{job}" for job in jobs),
        ],
        "admin": ["/console/users", "/console/tokens", "/console/audit"],
    }


def violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN, list(BLOCKING))
    return found


def readable(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for where, items in found.items():
        for v in items:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
            for n in v["nodes"]:
                lines.append(f"    {n['target']}  {n['html']}")
                lines.append("      " + n["why"].replace("\n", "\n      "))
    return "\n".join(lines)


def _note_fetch(request: Any, fetched: list[str]) -> None:
    """Note the page's own requests for data (``fetch``, XHR). A page without any is
    complete at its load event; one with them is checked once the network is idle (which
    costs half a second of quiet, so only those pages wait for it)."""
    if request.resource_type in ("fetch", "xhr"):
        fetched.append(request.url)


def test_every_page_passes_axe_in_both_languages(world: Portal, server: str) -> None:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[dict[str, Any]]] = {}
    checked = 0
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for lang in LANGUAGES:
                for who, paths in pages_of(world).items():
                    # axe is injected as a script: the portal's CSP (rightly) refuses it.
                    context = browser.new_context(bypass_csp=True)
                    context.add_cookies([{"name": "huiqi_lang", "value": lang, "url": server}])
                    page = sign_in_page(context, server, who) if who else context.new_page()
                    fetched: list[str] = []
                    page.on("request", lambda r, f=fetched: _note_fetch(r, f))
                    for path in paths:
                        fetched.clear()
                        response = page.goto(f"{server}{path}")
                        assert response is not None and response.status == 200, (who, path)
                        if fetched:  # its scripts ask for data (the charts): drawn once idle
                            page.wait_for_load_state("networkidle")
                        assert page.get_attribute("html", "lang") == lang
                        if path == "/login":
                            assert page.locator("a[href^='/login/oidc']").count() == 1
                        bad = violations(page)
                        if bad:
                            found[f"{lang} {who or 'anonymous'} {path}"] = bad
                        checked += 1
                    context.close()
        finally:
            browser.close()
    assert checked >= 56
    assert not found, "axe-core found serious or critical violations:\n" + readable(found)


def _focus_by_tab(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_an_enterprise_signs_in_and_claims_with_the_keyboard_alone(
    world: Portal, server: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{server}/login")
            _focus_by_tab(page, "#username")
            page.keyboard.type(f"ent{KEYBOARD}")
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{server}/home")
            _focus_by_tab(page, f"section.group-confirm li[data-policy='{OFFER}'] a")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{server}/policies/{OFFER}")
            _focus_by_tab(page, "#claim-button")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{server}/policies/{OFFER}?claim=*")
            expect(page.locator("#grant")).to_have_count(1)
            # The skip link is the first stop and takes the focus past the navigation.
            page.goto(f"{server}/home")
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.matches('a.skip')")
            expect(page.locator("a.skip")).to_be_visible()
        finally:
            browser.close()
    with world.factory() as s:
        grants = s.scalars(select(Grant.id).where(Grant.uscc == world.usccs[KEYBOARD])).all()
    assert len(grants) == 2  # the automatic grant and the claimed offer


def _described_errors(page: Any) -> list[dict[str, Any]]:
    """Each invalid field: its id, the text of what describes it, and whether that text is
    in the field's own ``.field`` block (next to it)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[aria-invalid="true"]')].map((el) => {
            const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
            const notes = ids.map((id) => document.getElementById(id)).filter(Boolean);
            const block = el.closest('.field, fieldset');
            return {
              field: el.id || el.name,
              text: notes.map((n) => n.textContent.trim()).join(' '),
              beside: notes.length > 0 && notes.every((n) => block && block.contains(n)),
            };
        })"""
    )


def test_form_errors_are_shown_next_to_their_field(world: Portal, server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(bypass_csp=True).new_page()
            page.goto(f"{server}/login")
            page.click("form.login button[type=submit]")  # nothing filled in
            page.wait_for_load_state()
            errors = _described_errors(page)
            assert {e["field"] for e in errors} == {"username", "password"}, errors
            assert all(e["beside"] and e["text"] for e in errors), errors
            found = {"/login": violations(page)}

            page = sign_in_page(page.context, server, "ent0")
            page.goto(f"{server}/my-data/correct?field=insured_employees&year=2025")
            page.click("#report-button")  # no value given
            page.wait_for_load_state()
            errors = _described_errors(page)
            assert [e["field"] for e in errors] == ["value"], errors
            assert all(e["beside"] and e["text"] for e in errors), errors
            found["/my-data/correct"] = violations(page)

            page.goto(f"{server}/grants")
            page.locator("a.rate").first.click()
            page.click("#rate-button")  # no stars chosen
            page.wait_for_load_state()
            errors = _described_errors(page)
            assert errors and all(e["beside"] and e["text"] for e in errors), json.dumps(errors)
            found["/rate"] = violations(page)

            page.goto(f"{server}/requests")
            page.click("#file-button")  # no category, no text
            page.wait_for_load_state()
            errors = _described_errors(page)
            assert {e["field"] for e in errors} >= {"category"}, errors
            assert all(e["beside"] and e["text"] for e in errors), errors
            found["/requests"] = violations(page)

            page = sign_in_page(browser.new_context(bypass_csp=True), server, "everything")
            page.goto(f"{server}/console/flagged")
            page.locator("li.flag button[value=keep]").first.click()  # no reason given
            page.wait_for_load_state()
            errors = _described_errors(page)
            assert len(errors) == 1 and errors[0]["text"] and errors[0]["beside"], errors
            found["/console/flagged"] = violations(page)

            page.goto(f"{server}/console/policies/{APPLY}/draft")  # saved with a YAML error
            errors = _described_errors(page)
            assert [e["field"] for e in errors] == ["text"], errors
            assert errors[0]["beside"] and "4" in errors[0]["text"], errors
            page.click("#save-button")  # saved again through htmx: the errors stay tied
            page.wait_for_selector("#saved")
            errors = _described_errors(page)
            assert [e["field"] for e in errors] == ["text"] and errors[0]["beside"], errors
            found["/console/policies/draft"] = violations(page)
        finally:
            browser.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, "axe-core, on the pages with errors:\n" + readable(found)
