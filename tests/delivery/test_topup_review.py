"""A review of the top-up (补差) found these (session 31): a third policy of the group must
not supersede an unsent top-up and pay its whole amount on top of the lower grant already
sent, and a pro-rata policy allocated already cannot take a top-up it would never pay."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml
from helpers import uscc as make_uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_topup import DAY, A, publish, record, sent_for_payment

from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery.claims import claim
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.delivery.sharing import allocate_pro_rata


def _grants(factory: sessionmaker[Session]) -> dict[str, tuple[int, str]]:
    with factory() as s:
        rows = s.scalars(select(Grant).where(Grant.uscc == A))
        return {g.policy_id: (g.amount_fen, g.status) for g in rows}


def _live_total(grants: dict[str, tuple[int, str]]) -> int:
    return sum(amount for amount, status in grants.values() if status != "superseded")


@pytest.mark.parametrize("third", ["auto", "confirm"])
def test_a_third_policy_after_an_unsent_top_up_adds_only_the_difference(
    sessions: sessionmaker[Session], tmp_path: Path, third: str
) -> None:
    """2,000 sent; grp-high (6,000) topped up by 4,000, not exported yet; then grp-top
    (8,000), delivered or claimed. It superseded the top-up and granted 8,000 in full:
    10,000 in all. Now it is flagged, and its top-up adds 2,000: 8,000 in all."""
    settings, _ = build_store(tmp_path, {A: 2})
    publish(settings, sessions, policy_yaml("grp-low", per_person=1000, exclusivity_group="g"))
    sent_for_payment(sessions, tmp_path)
    high = publish(
        settings, sessions, policy_yaml("grp-high", per_person=3000, exclusivity_group="g")
    )
    resolve_flag(
        sessions, record(sessions, high).id, actor=OFFICER, outcome="top-up", reason="补差"
    )
    text = policy_yaml("grp-top", delivery=third, per_person=4000, exclusivity_group="g")
    top = publish(settings, sessions, text)
    if third == "confirm":
        claim(sessions, actor=enterprise(A), entitlement_id=record(sessions, top).id, today=DAY)
    assert _grants(sessions) == {"grp-low": (200_000, "in_batch"), "grp-high": (400_000, "granted")}
    flagged = record(sessions, top)
    assert flagged.status == "excluded" and flagged.review_flag
    assert "has already given this enterprise 6,000.00 yuan" in (flagged.status_reason or "")
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    grants = _grants(sessions)
    assert grants["grp-top"] == (200_000, "granted") and _live_total(grants) == 800_000


def test_a_pro_rata_policy_allocated_already_refuses_a_top_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A provisional grant made after the allocation was never allocated, while the
    enterprise was told the difference would be shared out."""
    other = make_uscc(2)
    settings, _ = build_store(tmp_path, {A: 2})
    publish(settings, sessions, policy_yaml("grp-low", per_person=1000, exclusivity_group="g"))
    sent_for_payment(sessions, tmp_path)
    settings, _ = build_store(tmp_path, {A: 2, other: 1})
    text = policy_yaml(
        "grp-high",
        per_person=3000,
        exclusivity_group="g",
        budget=100_000,
        budget_mode="pro_rata",
    )
    high = publish(settings, sessions, text)
    with transaction(sessions) as s:
        allocate_pro_rata(s, high.id, actor=OFFICER)
    with sessions() as s:
        flagged = s.scalars(
            select(Entitlement).where(
                Entitlement.policy_version_id == high.id, Entitlement.uscc == A
            )
        ).one()
    assert flagged.review_flag
    with pytest.raises(ReviewConflict, match="allocated already"):
        resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert "grp-high" not in _grants(sessions)
    with sessions() as s:
        still = s.get(Entitlement, flagged.id)
        assert still is not None and still.review_flag  # nothing changed
