"""就高不重复 across a shared cap group compares what each policy would really give, on
SQLite and PostgreSQL.

Regression: a policy in a shared cap group was compared at its own cap, not at what the
enterprise had left of the shared cap, so it displaced a higher grant of its exclusivity
group and then granted less than the grant it displaced.
"""

from __future__ import annotations

from pathlib import Path

import helpers as h
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.publish import publish


def _publish(settings_, factory: sessionmaker[Session], text: str):  # type: ignore[no-untyped-def]
    return publish(settings_, factory, text, actor=OFFICER, filename="test.yaml")


def _grants(factory: sessionmaker[Session]) -> dict[str, tuple[str, int]]:
    with factory() as s:
        rows = s.execute(
            select(PolicyVersion.policy_id, Grant.status, Grant.amount_fen).join(
                PolicyVersion, PolicyVersion.id == Grant.policy_version_id
            )
        ).all()
    return {p: (st, a) for p, st, a in rows}


def test_a_capped_policy_is_compared_at_what_is_left_of_its_shared_cap(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    code = h.uscc(1)
    settings_, _ = h.build_store(tmp_path / "data", {code: 1})
    # 800 of the enterprise's 1,000-yuan shared cap is used by another policy.
    _publish(settings_, sessions, h.policy_yaml("used", per_person=800, cap=1000, cap_group="g"))
    _publish(settings_, sessions, h.policy_yaml("held", per_person=500, exclusivity_group="e"))
    x, _ = _publish(
        settings_,
        sessions,
        h.policy_yaml("capped", per_person=1000, cap=1000, cap_group="g", exclusivity_group="e"),
    )
    assert _grants(sessions) == {"used": ("granted", 80_000), "held": ("granted", 50_000)}
    with sessions() as s:
        rec = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == x.id)).one()
    assert rec.status == "excluded"
    assert "200.00" in (rec.status_reason or "") and "500.00" in (rec.status_reason or "")


def test_superseding_a_holder_in_the_same_cap_group_counts_its_share_back(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    code = h.uscc(1)
    settings_, _ = h.build_store(tmp_path / "data", {code: 1})
    both = {"cap": 1000, "cap_group": "g", "exclusivity_group": "e"}
    _publish(settings_, sessions, h.policy_yaml("low", per_person=600, **both))  # type: ignore[arg-type]
    _publish(settings_, sessions, h.policy_yaml("high", per_person=900, **both))  # type: ignore[arg-type]
    assert _grants(sessions) == {"low": ("superseded", 60_000), "high": ("granted", 90_000)}
