"""Only a policy's newest published version delivers. Regression: after v2 (with a budget)
was published, the scheduler's 'huiqi deliver' ran v1 too, which had no budget, and granted
the 11,266 enterprises v2 had refused for want of budget: 102 million yuan past a
100,000-yuan budget."""

from __future__ import annotations

from pathlib import Path

import helpers as h
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.publish import deliver, publish_text


def test_an_older_version_delivers_nothing_once_a_newer_one_is_published(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = h.build_store(tmp_path / "data", {h.uscc(i): 2 for i in range(6)})
    v1, _ = publish_text(sessions, h.policy_yaml("newest"), "v1.yaml", actor=OFFICER)
    # v2: the same terms with a budget for one enterprise's 2,000 yuan.
    v2_text = h.policy_yaml("newest", version=2, budget=2000)
    v2, _ = publish_text(sessions, v2_text, "v2.yaml", actor=OFFICER)
    second = deliver(settings, sessions, v2.id, actor=OFFICER)
    assert (second.granted, second.refused) == (1, {"budget_exhausted": 5})

    for actor in (SCHEDULER, OFFICER):
        first = deliver(settings, sessions, v1.id, actor=actor)
        assert first.replaced_by == 2 and (first.matched, first.granted) == (0, 0)
        assert "nothing delivered, v2 of the policy is published and delivers" in first.summary()

    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Grant)) == 1
        by_version = s.execute(
            select(Entitlement.policy_version_id, func.count()).group_by(
                Entitlement.policy_version_id
            )
        ).all()
    assert dict(by_version) == {v2.id: 6}


def test_a_retired_version_delivers_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: the scheduler's 'huiqi deliver' still matched retired versions."""
    from huiqi.delivery.versions import retire_version

    settings, _ = h.build_store(tmp_path / "data", {h.uscc(i): 2 for i in range(3)})
    pv, _ = publish_text(sessions, h.policy_yaml("gone"), "gone.yaml", actor=OFFICER)
    with sessions.begin() as s:
        retire_version(s, actor=OFFICER, version_id=pv.id, reason="条款调整")
    report = deliver(settings, sessions, pv.id, actor=SCHEDULER)
    assert report.retired and (report.matched, report.new_records) == (0, 0)
    assert "nothing delivered, the version is retired" in report.summary()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Entitlement)) == 0
