"""A newer version's amount from the console and the API (``correct``,
huiqi.delivery.version_fix): the flagged queue explains a version-correction flag as one
(not as an enterprise that no longer qualifies), offers a reviewer the newer amount, the
decision grants it once, and the enterprise reads it in its inbox."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_data import AUTO, Portal, page_token, portal_world, sign_in
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.publish import deliver, publish_text


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Portal, dict[str, int]]]:
    """The portal's auto policy granted 1,000 yuan per insured person (never exported);
    then its version 2 gives 1,500: each of its records excluded and flagged. Yields the
    portal and ent0's and ent1's flagged records."""
    with portal_world(tmp_path) as portal:
        text = policy_yaml(AUTO, per_person=1500, version=2)
        pv, _ = publish_text(portal.factory, text, f"{AUTO}.yaml", actor=OFFICER)
        deliver(portal.settings, portal.factory, pv.id, actor=OFFICER)
        with portal.factory() as s:
            flagged = {
                e.uscc: e.id
                for e in s.scalars(
                    select(Entitlement).where(Entitlement.policy_version_id == pv.id)
                )
            }
        yield portal, {f"ent{i}": flagged[portal.usccs[i]] for i in (0, 1)}


def _live(portal: Portal, uscc: str) -> list[tuple[int, int]]:
    with portal.factory() as s:
        rows = s.execute(
            select(PolicyVersion.version, Grant.amount_fen)
            .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
            .where(
                Grant.uscc == uscc,
                PolicyVersion.policy_id == AUTO,
                Grant.status.not_in(("superseded", "withdrawn")),
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_console_corrects_to_the_newer_version(world: tuple[Portal, dict[str, int]]) -> None:
    portal, flagged = world
    record = flagged["ent0"]
    officer = sign_in(portal.client(), "officer")
    page = officer.get("/console/flagged").text
    assert "待复核的记录" in page and "已不支持企业所获的待遇" in page
    # ent0 insures 2: 3,000 under v2 against 2,000 granted (never sent) under v1.
    assert "原因是政策发布了新版本，而非企业数据变化：新版本金额为 3,000.00 元" in page
    assert 'name="decision" value="correct"' in page and "按新版本更正：发放 3,000.00 元" in page
    finance = sign_in(portal.client(), "finance").get("/console/flagged").text
    assert 'value="correct"' not in finance
    token = page_token(officer, "/console/flagged")
    done = officer.post(
        f"/console/flagged/{record}/review",
        data={"decision": "correct", "reason": "按新版本标准", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith(f"done=corrected&id={record}")
    assert "已按新版本金额更正" in officer.get(done.headers["location"]).text
    assert _live(portal, portal.usccs[0]) == [(2, 300_000)]
    # The enterprise reads the corrected amount in its inbox, and on its grants page.
    ent0 = sign_in(portal.client(), "ent0")
    assert "新版本金额调整为 3,000.00 元" in ent0.get("/inbox").text
    assert '<td class="num">3,000.00</td>' in ent0.get("/grants").text
    again = officer.post(
        f"/console/flagged/{record}/review",
        data={"decision": "correct", "reason": "再次更正", "csrf_token": token},
    )
    assert again.status_code == 409
    assert _live(portal, portal.usccs[0]) == [(2, 300_000)]


def test_the_api_corrects_and_refuses_a_second(world: tuple[Portal, dict[str, int]]) -> None:
    portal, flagged = world
    record = flagged["ent1"]
    headers = {"Authorization": f"Bearer {portal.token('officer')}"}
    client = portal.client()
    url = f"/api/v1/records/{record}/review"
    done = client.post(url, json={"decision": "correct", "reason": "新版本"}, headers=headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["outcome"] == "correct" and body["status"] == "granted" and body["grant_id"]
    # ent1 insures 3: 4,500 in place of 3,000.
    assert "grants 4,500.00 yuan in place of the 3,000.00 yuan" in body["message"]
    assert _live(portal, portal.usccs[1]) == [(2, 450_000)]
    again = client.post(url, json={"decision": "correct", "reason": "新版本"}, headers=headers)
    assert again.status_code == 409
