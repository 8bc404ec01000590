"""A policy's title for pages that name policies the ledger counts by id (the dashboard):
the catalogue's, and for a policy the catalogue no longer lists, its newest version's."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.catalogue.service import Bilingual, policy_titles
from huiqi.db.engine import transaction
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.versions import publish_text, retire_version


def test_titles_are_the_catalogues_and_a_retired_policys_newest(
    sessions: sessionmaker[Session],
) -> None:
    publish_text(sessions, policy_yaml("kept"), "kept.yaml", actor=OFFICER)
    publish_text(sessions, policy_yaml("gone"), "gone.yaml", actor=OFFICER)
    renamed = policy_yaml("kept", version=2).replace("测试政策kept", "测试政策kept第二版")
    publish_text(sessions, renamed, "kept.yaml", actor=OFFICER)
    with transaction(sessions) as s:
        [gone] = s.scalars(select(PolicyVersion.id).where(PolicyVersion.policy_id == "gone"))
        retire_version(s, actor=OFFICER, version_id=gone, reason="到期")
    with sessions() as s:
        titles = policy_titles(s, ["kept", "gone", "never"])
        assert policy_titles(s, []) == {}
    assert titles == {
        "kept": Bilingual("测试政策kept第二版", "Test policy kept"),
        "gone": Bilingual("测试政策gone", "Test policy gone"),
    }
