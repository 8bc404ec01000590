"""A retired version's offer shows no claim button and cannot be claimed through the API."""

from __future__ import annotations

import re
from pathlib import Path

from portal_data import OFFER, portal_world, sign_in
from sqlalchemy import select

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.versions import retire_version


def _confirm_group(html: str) -> str:
    found = re.search(r'<section class="group group-confirm".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_a_retired_versions_offer_is_neither_shown_to_claim_nor_claimable(
    tmp_path: Path,
) -> None:
    """Regression: the offer of a retired version stayed on the home page to confirm, and
    the API claimed it."""
    with portal_world(tmp_path) as world:
        browser = sign_in(world.client(), "ent0")
        assert f'data-policy="{OFFER}"' in _confirm_group(browser.get("/home").text)
        api, token = world.client(), {"Authorization": f"Bearer {world.token('ent0')}"}
        offer = next(
            r for r in api.get("/api/v1/records", headers=token).json() if r["policy_id"] == OFFER
        )
        with transaction(world.factory) as s:
            pv = s.scalar(select(PolicyVersion).where(PolicyVersion.policy_id == OFFER))
            assert pv is not None
            retire_version(s, actor=OFFICER, version_id=pv.id, reason="政策到期")
        assert f'data-policy="{OFFER}"' not in _confirm_group(browser.get("/home").text)
        assert "claim-button" not in browser.get(f"/policies/{OFFER}").text
        listed = {r["id"]: r for r in api.get("/api/v1/records", headers=token).json()}
        assert listed[offer["id"]]["status"] == "withdrawn"
        assert "was retired on" in listed[offer["id"]]["reason"]
        got = api.post(f"/api/v1/records/{offer['id']}/claim", headers=token)
        assert got.status_code == 409 and "was retired on" in got.json()["detail"], got.text
