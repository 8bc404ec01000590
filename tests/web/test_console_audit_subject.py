"""The audit log page names the policy version an event is about (qa8): a retirement read
"policy_version:38" and the officer's reason alone, so an admin could not tell which policy
was retired without looking the id up."""

from __future__ import annotations

import re

from portal_data import AUTO, Portal, sign_in
from sqlalchemy import select

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.versions import retire_version


def test_a_retirement_names_the_policy_and_version_it_retired(portal: Portal) -> None:
    with transaction(portal.factory) as s:
        pv = s.scalars(select(PolicyVersion).where(PolicyVersion.policy_id == AUTO)).first()
        assert pv is not None
        version_id, version = pv.id, pv.version
        retire_version(s, actor=OFFICER, version_id=version_id, reason="新版本已发布")
    page = sign_in(portal.client(), "admin").get("/console/audit", params={"kind": "retire"})
    assert page.status_code == 200
    row = re.search(r'<tr id="event-\d+">.*?</tr>', page.text, re.S)
    assert row is not None, page.text
    assert f"policy_version:{version_id}" in row.group(0)
    assert f"{AUTO} v{version}" in row.group(0), row.group(0)
    assert "新版本已发布" in row.group(0)
