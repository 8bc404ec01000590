"""An open offer that a higher grant of its exclusivity group has outranked is excluded
when that grant is made. Regression: the enterprise kept seeing the lower offer beside
the higher grant, and claiming it was refused (就高不重复)."""

from __future__ import annotations

from pathlib import Path

import helpers as h
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.delivery.claims import claim
from huiqi.delivery.models import Entitlement, Event, PolicyVersion
from huiqi.delivery.publish import deliver, publish_text


def _records(sessions: sessionmaker[Session], policy: str) -> list[tuple[str, str, str | None]]:
    with sessions() as s:
        rows = s.execute(
            select(Entitlement.uscc, Entitlement.status, Entitlement.status_reason)
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .where(PolicyVersion.policy_id == policy)
            .order_by(Entitlement.uscc)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_higher_grant_excludes_the_lower_open_offers_of_its_group(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    codes = [h.uscc(i) for i in range(3)]
    settings, _ = h.build_store(tmp_path / "data", {c: 2 for c in codes})

    def publish(pid: str, delivery: str, per_person: int) -> int:
        text = h.policy_yaml(pid, delivery=delivery, per_person=per_person, exclusivity_group="g")
        pv, _ = publish_text(sessions, text, f"{pid}.yaml", actor=OFFICER)
        deliver(settings, sessions, pv.id, actor=OFFICER)
        return pv.id

    publish("low-offer", "confirm", 1000)  # 2,000 yuan each
    publish("high-offer", "confirm", 5000)  # 10,000 yuan each
    publish("mid-auto", "auto", 3000)  # 6,000 yuan each, granted at once

    low = _records(sessions, "low-offer")
    assert [st for _, st, _ in low] == ["excluded"] * 3
    assert all(
        "group 'g' gives this enterprise 6,000.00 yuan under mid-auto v1; this policy's"
        " 2,000.00 yuan is not higher" in (why or "")
        for _, _, why in low
    )
    assert [st for _, st, _ in _records(sessions, "high-offer")] == ["offered"] * 3
    with sessions() as s:
        assert s.scalar(select(Event.id).where(Event.kind == "outranked")) is not None

    # Claiming the higher offer supersedes the 6,000 grant; nothing else is left open.
    done = claim(sessions, actor=enterprise(codes[0]), policy_id="high-offer", uscc=codes[0])
    assert done.grant_id is not None


def test_claiming_the_higher_offer_excludes_the_lower_one_of_the_same_enterprise(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    codes = [h.uscc(i) for i in range(2)]
    settings, _ = h.build_store(tmp_path / "data", {c: 2 for c in codes})
    for pid, per_person in (("low-claim", 1000), ("high-claim", 5000)):
        text = h.policy_yaml(pid, delivery="confirm", per_person=per_person, exclusivity_group="k")
        pv, _ = publish_text(sessions, text, f"{pid}.yaml", actor=OFFICER)
        deliver(settings, sessions, pv.id, actor=OFFICER)
    done = claim(sessions, actor=enterprise(codes[0]), policy_id="high-claim", uscc=codes[0])
    assert done.grant_id is not None
    assert [(u, st) for u, st, _ in _records(sessions, "low-claim")] == [
        (codes[0], "excluded"),
        (codes[1], "offered"),
    ]
