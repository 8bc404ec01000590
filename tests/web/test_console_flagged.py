"""The console's queue of records flagged for review after a data change: a new snapshot
in which an enterprise no longer qualifies flags its record (never revokes it), and the
queue lists it for the officers whose scope covers the policy."""

from __future__ import annotations

import sys
from pathlib import Path

from portal_data import AUTO, Portal, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import reading
from huiqi.delivery import service as ledger
from huiqi.delivery.publish import deliver


def test_a_record_flagged_after_a_data_change_is_in_the_review_queue(portal: Portal) -> None:
    officer = sign_in(portal.client(), "officer")
    assert "暂无待复核的记录" in officer.get("/console/flagged").text
    lost = portal.usccs[0]
    employees = {code: 2 + i for i, code in enumerate(portal.usccs)} | {lost: 0}
    build_store(portal.settings.data_dir, employees)  # the next snapshot: ent0 insures no one
    with reading(portal.factory) as s:
        pv = ledger.latest_version(s, AUTO)
    report = deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)
    assert report.flagged == 1
    page = officer.get("/console/flagged").text
    assert f'<span class="uscc">{lost}</span>' in page and "已不再符合条件" in page
    assert page.count('<li class="flag"') == 1
    # The API's twin: the records flagged for review.
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    flagged = portal.client().get("/api/v1/records", params={"flagged": "true"}, headers=headers)
    assert [(r["uscc"], r["review_flag"]) for r in flagged.json()] == [(lost, True)]
    # An officer of another district sees no flag of this district's policy.
    elsewhere = sign_in(portal.client(), "reviewer-elsewhere").get("/console/flagged").text
    assert lost not in elsewhere
    # Finance reads the queue (its grants wait out of the exports) but is offered no form.
    finance = sign_in(portal.client(), "finance").get("/console/flagged")
    assert finance.status_code == 200 and lost in finance.text
    assert 'class="decide"' not in finance.text and 'class="decide"' in page


def test_the_flagged_queue_names_the_policy_in_the_page_language(portal: Portal) -> None:
    """Regression (QA): the queue showed each record's Chinese title in English too (a
    record holds only title_zh); it names the policy as the other console pages do, in
    English where the policy has an English title."""
    lost = portal.usccs[0]
    employees = {code: 2 + i for i, code in enumerate(portal.usccs)} | {lost: 0}
    build_store(portal.settings.data_dir, employees)
    with reading(portal.factory) as s:
        pv = ledger.latest_version(s, AUTO)
    deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)  # flagged, once
    officer = sign_in(portal.client(), "officer")
    assert f"<h2>测试政策{AUTO} " in officer.get("/console/flagged").text
    officer.get("/lang/en")
    page = officer.get("/console/flagged").text
    assert f"<h2>Test policy {AUTO} " in page and f"测试政策{AUTO}" not in page
