""" "Almost eligible" (差一点) shows only amounts the enterprise could receive.

Regression (QA): /almost showed "would be worth about …" for a policy the enterprise
already had a grant of for the period (one grant per policy and period), and for a policy
whose exclusivity group (就高不重复) already gave it more under another policy. Such a
near miss now shows no amount and says why; one that would replace a lower grant of its
group shows its amount and the grant it would replace. Page, API and service agree.
"""

from __future__ import annotations

import re

import pytest
from helpers import policy_yaml
from portal_data import Portal, sign_in
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.delivery.publish import deliver
from huiqi.delivery.versions import publish_text
from huiqi.matching.nearmiss import near_misses

GROUP = "alm-group"
NEAR = "insured_employees >= 10"  # ent7 insures 9 people: within 20 % of 10


def _publish(portal: Portal, policy_id: str, text: str) -> None:
    pv, _ = publish_text(portal.factory, text, f"{policy_id}.yaml", actor=OFFICER)
    deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)


@pytest.fixture(scope="module", autouse=True)
def policies(portal: Portal) -> None:
    # Held: 5,000 yuan per insured person in the group: ent7 is granted 45,000 yuan.
    _publish(portal, "alm-held", policy_yaml("alm-held", per_person=5000, exclusivity_group=GROUP))
    # Near misses in the same group: 9,000 yuan (less than held) and 90,000 (more).
    for pid, per in (("alm-low", 1000), ("alm-high", 10000)):
        text = policy_yaml(pid, delivery="confirm", per_person=per, exclusivity_group=GROUP)
        _publish(portal, pid, text.replace("insured_employees > 0", NEAR))
    # Granted 900 yuan under version 1; version 2 asks for 10 insured: a near miss of a
    # policy already granted for the period.
    _publish(portal, "alm-again", policy_yaml("alm-again", per_person=100))
    again = policy_yaml("alm-again", per_person=100, version=2)
    _publish(portal, "alm-again", again.replace("insured_employees > 0", NEAR))


def _cards(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li class="card" data-policy="([^"]+)">(.*?)</li>', html, re.S))


def test_the_service_gives_only_what_the_enterprise_could_receive(portal: Portal) -> None:
    code = portal.usccs[7]
    factory: sessionmaker[Session] = portal.factory
    with factory() as s:
        found = {
            n.policy_id: n
            for n in near_misses(portal.settings, s, actor=enterprise(code), uscc=code)
        }
    low, high, again = found["alm-low"], found["alm-high"], found["alm-again"]
    assert low.amount_fen is None and low.held is not None
    assert (low.held.kind, low.held.policy_id, low.held.amount_fen) == (
        "outranked",
        "alm-held",
        4_500_000,
    )
    assert high.amount_fen == 9_000_000 and high.held is not None
    assert (high.held.kind, high.held.amount_fen) == ("replaces", 4_500_000)
    assert again.amount_fen is None and again.held is not None
    assert (again.held.kind, again.held.amount_fen) == ("granted", 90_000)


def test_the_page_shows_no_amount_the_enterprise_cannot_obtain_and_says_why(
    portal: Portal,
) -> None:
    client = sign_in(portal.client(), "ent7")
    cards = _cards(client.get("/almost").text)
    assert "约" not in cards["alm-low"] and "不可获得" in cards["alm-low"]
    assert "45,000.00" in cards["alm-low"] and "测试政策alm-held" in cards["alm-low"]
    assert "不可获得" in cards["alm-again"] and "900.00" in cards["alm-again"]
    assert "90,000.00" in cards["alm-high"] and "不可获得" not in cards["alm-high"]
    client.get("/lang/en")
    cards = _cards(client.get("/almost").text)
    assert "would be worth about" not in cards["alm-low"]
    assert (
        "Not obtainable: of the policies in exclusivity group alm-group only the highest is"
        " granted, and you already receive 45,000.00 yuan under alm-held." in cards["alm-low"]
    )
    assert "Not obtainable: you already hold a grant of 900.00 yuan" in cards["alm-again"]
    assert "would be worth about 90,000.00 yuan" in cards["alm-high"]
    assert "take the place of the 45,000.00 yuan you receive under alm-held" in cards["alm-high"]


def test_the_api_gives_the_obtainable_amount_and_what_is_held(portal: Portal) -> None:
    headers = {"Authorization": f"Bearer {portal.token('ent7')}"}
    body = portal.client().get("/api/v1/near-misses", headers=headers).json()
    found = {m["policy_id"]: m for m in body}
    assert found["alm-low"]["amount_fen"] is None and found["alm-low"]["amount_yuan"] is None
    assert found["alm-low"]["held"]["kind"] == "outranked"
    assert found["alm-low"]["held"]["obtainable"] is False
    assert found["alm-low"]["held"]["amount_yuan"] == "45000.00"
    assert found["alm-high"]["amount_fen"] == 9_000_000
    assert found["alm-high"]["held"]["kind"] == "replaces"
    assert found["alm-again"]["held"]["kind"] == "granted"
