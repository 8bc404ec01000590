"""就高不重复 after the lower grant was sent for payment, from the console and the API: the
flagged queue offers a reviewer the difference, the decision grants it, and the enterprise
reads why in its language."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_data import Portal, page_token, portal_world, sign_in
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import FINANCE, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.publish import deliver, publish_text


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Portal, dict[str, int]]]:
    """Every enterprise granted 1,000 yuan per insured person by ``grp-low`` and exported;
    then ``grp-high`` of the same group (3,000 per person): each of its records excluded and
    flagged. Yields the portal and ent0's and ent1's flagged records."""
    with portal_world(tmp_path) as portal:
        for pid, per_person in (("grp-low", 1000), ("grp-high", 3000)):
            text = policy_yaml(pid, per_person=per_person, exclusivity_group="g")
            pv, _ = publish_text(portal.factory, text, f"{pid}.yaml", actor=OFFICER)
            deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)
            if pid == "grp-low":
                with transaction(portal.factory) as s:
                    export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        with portal.factory() as s:
            high = s.scalars(
                select(PolicyVersion.id).where(PolicyVersion.policy_id == "grp-high")
            ).one()
            flagged = {
                e.uscc: e.id
                for e in s.scalars(select(Entitlement).where(Entitlement.policy_version_id == high))
            }
        yield portal, {f"ent{i}": flagged[portal.usccs[i]] for i in (0, 1)}


def test_the_console_pays_the_difference(world: tuple[Portal, dict[str, int]]) -> None:
    portal, flagged = world
    record = flagged["ent0"]
    officer = sign_in(portal.client(), "officer")
    page = officer.get("/console/flagged").text
    # ent0 insures 2: 6,000 against 2,000 paid.
    assert 'name="decision" value="top-up"' in page and "补发差额：4,000.00 元" in page
    finance = sign_in(portal.client(), "finance").get("/console/flagged").text
    assert 'value="top-up"' not in finance
    token = page_token(officer, "/console/flagged")
    done = officer.post(
        f"/console/flagged/{record}/review",
        data={"decision": "top-up", "reason": "按文件补足差额", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith(
        f"done=topped_up&id={record}"
    )
    assert "差额已按较高政策发放" in officer.get(done.headers["location"]).text
    with portal.factory() as s:
        grant = s.scalars(select(Grant).where(Grant.entitlement_id == record)).one()
        assert (grant.amount_fen, grant.status) == (400_000, "granted")
    # The enterprise reads the amount on its grants page, and why on the policy's page.
    ent0 = sign_in(portal.client(), "ent0")
    assert '<td class="num">4,000.00</td>' in ent0.get("/grants").text
    why = ent0.get("/policies/grp-high").text
    assert "同组政策已发放 2,000.00 元" in why and "补发差额 4,000.00 元" in why, why
    # Again: nothing left to pay, and the page says why rather than failing.
    again = officer.post(
        f"/console/flagged/{record}/review",
        data={"decision": "top-up", "reason": "再补", "csrf_token": token},
    )
    assert again.status_code == 409


def test_the_api_pays_the_difference_and_refuses_a_second(
    world: tuple[Portal, dict[str, int]],
) -> None:
    portal, flagged = world
    record = flagged["ent1"]
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    client = portal.client()
    url = f"/api/v1/records/{record}/review"
    done = client.post(url, json={"decision": "top-up", "reason": "补差"}, headers=headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["outcome"] == "top-up" and body["status"] == "granted" and body["grant_id"]
    # ent1 insures 3: 9,000 against 3,000 paid.
    assert "difference of 6,000.00 yuan is granted" in body["message"]
    again = client.post(url, json={"decision": "top-up", "reason": "补差"}, headers=headers)
    assert again.status_code == 409
    finance = {"Authorization": f"Bearer {portal.token('finance')}"}
    other = client.post(
        f"/api/v1/records/{flagged['ent0']}/review",
        json={"decision": "top-up", "reason": "补差"},
        headers=finance,
    )
    assert other.status_code == 403
