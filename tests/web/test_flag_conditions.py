"""The review queue says which conditions a flagged enterprise no longer meets, with its
figure against the threshold (huiqi.delivery.lost_criteria), in Chinese and in English,
and the API's records say the same; a flag raised before the conditions were recorded
says they were not."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from portal_data import Portal, sign_in
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import build_store, policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.models import Entitlement
from huiqi.delivery.publish import deliver, publish_text

THRESHOLD = "web-threshold"


def threshold_policy() -> str:
    """A test policy whose criterion is a threshold: at least 3 insured staff."""
    return (
        policy_yaml(THRESHOLD)
        .replace("insured_employees > 0", "insured_employees >= 3")
        .replace(
            "{zh: 参保, en: Insures staff}", "{zh: 参保人数不少于3人, en: At least 3 insured staff}"
        )
    )


@pytest.fixture(scope="module")
def flagged(portal: Portal) -> int:
    """Enterprise 1 (3 insured staff) has 1 on the next snapshot: its record of the
    threshold policy is flagged; the record's id."""
    pv, _ = publish_text(portal.factory, threshold_policy(), "t.yaml", actor=OFFICER)
    deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)
    employees = {code: 2 + i for i, code in enumerate(portal.usccs)} | {portal.usccs[1]: 1}
    build_store(portal.settings.data_dir, employees)
    assert deliver(portal.settings, portal.factory, pv.id, actor=OFFICER).flagged == 1
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    rows = portal.client().get("/api/v1/records", params={"flagged": "true"}, headers=headers)
    (row,) = [r for r in rows.json() if r["policy_id"] == THRESHOLD]
    return int(row["id"])


def item(page: str, record_id: int) -> str:
    """The queue's entry of one record."""
    found = re.search(rf'<li class="flag" id="flag-{record_id}".*?</form>', page, re.S)
    assert found, page
    return found.group(0)


def test_the_queue_names_the_failing_criterion_and_its_gap_in_chinese_and_english(
    portal: Portal, flagged: int
) -> None:
    officer = sign_in(portal.client(), "officer")
    shown = item(officer.get("/console/flagged").text, flagged)
    assert "按数据快照" in shown and "未满足的条件" in shown
    assert "参保人数不少于3人" in shown  # the criterion's Chinese label
    assert "年末参保人数 1 人，要求不低于 3 人，还差 2 人" in shown
    officer.get("/lang/en")
    shown = item(officer.get("/console/flagged").text, flagged)
    assert "At least 3 insured staff" in shown and "参保人数不少于3人" not in shown
    assert (
        "Insured employees (December) 1 person, &gt;= 3 persons required: short by 2 persons"
        in shown
    )


def test_the_api_lists_the_conditions_of_a_flag(portal: Portal, flagged: int) -> None:
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    rows = portal.client().get("/api/v1/records", params={"flagged": "true"}, headers=headers)
    (row,) = [r for r in rows.json() if r["id"] == flagged]
    conditions = row["review_criteria"]
    assert conditions["status"] == "not_eligible"
    (criterion,) = conditions["criteria"]
    assert (criterion["id"], criterion["label"], criterion["state"]) == (
        "insured",
        "参保人数不少于3人",
        "not_met",
    )
    assert criterion["values"] == {"insured_employees__2025": 1}
    gap = criterion["gap"]
    assert (gap["op"], gap["actual"], gap["required"], gap["shortfall"]) == (">=", "1", "3", "2")
    assert gap["label"] == {"zh": "年末参保人数", "en": "Insured employees (December)"}


def test_the_queue_shows_the_labels_a_flag_no_longer_stores(portal: Portal, flagged: int) -> None:
    """The record stores the criterion's id, state and values only; the queue takes its
    label and the gap's wording from the policy version (huiqi.delivery.flag_view)."""
    with portal.factory() as s:
        stored = s.scalar(select(Entitlement.review_criteria).where(Entitlement.id == flagged))
    assert stored is not None
    assert stored["criteria"] == [
        {"id": "insured", "state": "not_met", "values": {"insured_employees__2025": 1}}
    ]
    officer = sign_in(portal.client(), "officer")
    shown = item(officer.get("/console/flagged").text, flagged)
    assert "参保人数不少于3人" in shown and "还差 2 人" in shown


def test_conditions_stored_whole_by_an_older_release_still_show(
    portal: Portal, flagged: int
) -> None:
    """A flag raised before the slim form stored its criteria whole: shown as stored."""
    with portal.factory() as s:
        stored = s.scalar(select(Entitlement.review_criteria).where(Entitlement.id == flagged))
    assert stored is not None
    whole = dict(stored)
    whole["criteria"] = [
        {
            **stored["criteria"][0],
            "label": "旧格式记录的参保条件",
            "label_en": "Insured staff, as stored whole",
            "expression": "insured_employees >= 3",
            "fields": {},
        }
    ]
    with transaction(portal.factory) as s:
        s.execute(
            update(Entitlement).where(Entitlement.id == flagged).values(review_criteria=whole)
        )
    try:
        officer = sign_in(portal.client(), "officer")
        shown = item(officer.get("/console/flagged").text, flagged)
        assert "旧格式记录的参保条件" in shown and "参保人数不少于3人" not in shown
    finally:
        with transaction(portal.factory) as s:
            s.execute(
                update(Entitlement).where(Entitlement.id == flagged).values(review_criteria=stored)
            )


def test_a_flag_without_recorded_conditions_says_so(portal: Portal, flagged: int) -> None:
    """A flag raised before the conditions were kept (migration 0025) still shows, and
    says that they were not recorded."""
    with transaction(portal.factory) as s:
        s.execute(update(Entitlement).where(Entitlement.id == flagged).values(review_criteria=None))
    officer = sign_in(portal.client(), "officer")
    shown = item(officer.get("/console/flagged").text, flagged)
    assert "本次标记未记录该企业不再满足的条件" in shown and "还差" not in shown
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    rows = portal.client().get("/api/v1/records", params={"flagged": "true"}, headers=headers)
    assert [r["review_criteria"] for r in rows.json() if r["id"] == flagged] == [None]


def test_an_earlier_versions_flag_names_the_newer_version_that_judged_it(
    portal: Portal, flagged: int
) -> None:
    """A flag on an earlier version's record, raised by the policy's newest version
    (huiqi.delivery.earlier_flags), names that version: the criteria shown are its, not
    the record's own version's (said in the stored conditions and the API only before).
    Last in the module: it publishes a version 2."""
    v2 = threshold_policy().replace("version: 1", "version: 2")
    assert v2 != threshold_policy()
    publish_text(portal.factory, v2, "t2.yaml", actor=OFFICER)
    with portal.factory() as s:
        sid = s.scalar(select(Entitlement.last_snapshot_id).where(Entitlement.id == flagged))
    # The stored form (the tests above rewrite it): the record's own version judged it.
    stored = {
        "snapshot_id": sid,
        "status": "not_eligible",
        "criteria": [
            {"id": "insured", "state": "not_met", "values": {"insured_employees__2025": 1}}
        ],
    }
    officer = sign_in(portal.client(), "officer")
    for judged_by, said in ((None, False), (2, True)):
        whose = stored if judged_by is None else {**stored, "version": judged_by}
        with transaction(portal.factory) as s:
            s.execute(
                update(Entitlement).where(Entitlement.id == flagged).values(review_criteria=whose)
            )
        shown = item(officer.get("/console/flagged").text, flagged)
        assert ("最新版本" in shown) is said, shown
    assert "未满足本政策最新版本（第 2 版）的条件" in shown, shown
    assert "参保人数不少于3人" in shown  # the criteria completed from version 2
