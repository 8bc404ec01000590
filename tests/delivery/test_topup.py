"""就高不重复 after the lower grant left for payment: a reviewer's top-up (补差) grants the
difference under the higher policy, once, within its budget and cap group (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import FINANCE, OFFICER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery.claims import claim
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.models import (
    BatchItem,
    CapUsage,
    Entitlement,
    Event,
    ExclusivitySlot,
    Grant,
    Notification,
    PolicyVersion,
)
from huiqi.delivery.notice import TopUpMade, grant_notice
from huiqi.delivery.noticepdf import render_notice
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.delivery.service import list_records
from huiqi.delivery.topup_queue import top_ups

A = uscc(1)
DAY = dt.date(2026, 6, 1)


def publish(settings, factory, text: str):  # type: ignore[no-untyped-def]
    pv, _ = publish_text(factory, text, "p.yaml", actor=OFFICER)
    deliver(settings, factory, pv.id, actor=OFFICER)
    return pv


def record(factory: sessionmaker[Session], pv: PolicyVersion) -> Entitlement:
    with factory() as s:
        return s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id)).one()


def sent_for_payment(factory: sessionmaker[Session], tmp_path: Path) -> int:
    """Export what is granted (the lower grant goes in_batch); the batch's grant ids."""
    with transaction(factory) as s:
        batch = export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        return int(batch.id)


def lower_then_higher(factory, tmp_path: Path, **higher):  # type: ignore[no-untyped-def]
    """2 insured: the lower policy grants 2,000 yuan and is exported; then a higher one of
    the same group (3,000 per person: 6,000 yuan) is published."""
    settings, _ = build_store(tmp_path, {A: 2})
    low = publish(
        settings,
        factory,
        policy_yaml("grp-low", per_person=1000, exclusivity_group="g", **higher.pop("low", {})),
    )
    sent_for_payment(factory, tmp_path)
    high = publish(
        settings,
        factory,
        policy_yaml("grp-high", per_person=3000, exclusivity_group="g", **higher),
    )
    return low, high


def test_a_claimed_higher_offer_is_topped_up_by_the_difference(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _, high = lower_then_higher(sessions, tmp_path, delivery="confirm", budget=100_000)
    offer = record(sessions, high)
    refused = claim(sessions, actor=enterprise(A), entitlement_id=offer.id, today=DAY)
    assert refused.grant_id is None
    flagged = record(sessions, high)
    assert flagged.status == "excluded" and flagged.review_flag
    with sessions() as s:
        assert top_ups(s, [(flagged.id, flagged.status)]) == {flagged.id: 400_000}

    decided = resolve_flag(
        sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="按文件补足差额"
    )
    assert decided.outcome == "top-up" and decided.status == "granted"
    with sessions() as s:
        grants = {g.policy_id: g for g in s.scalars(select(Grant))}
        assert grants["grp-low"].amount_fen == 200_000
        assert grants["grp-low"].status == "in_batch"  # nothing taken back
        top = grants["grp-high"]
        assert (top.id, top.amount_fen, top.status) == (decided.grant_id, 400_000, "granted")
        assert s.get(PolicyVersion, high.id).committed_fen == 400_000  # type: ignore[union-attr]
        slot = s.get(ExclusivitySlot, ("g", A, high.benefit_period))
        assert slot is not None and (slot.entitlement_id, slot.amount_fen) == (offer.id, 600_000)
        ent = s.get(Entitlement, offer.id)
        assert ent is not None and not ent.review_flag
        assert "difference of 4,000.00 yuan is granted" in (ent.status_reason or "")
        kinds = [e.kind for e in s.scalars(select(Event).where(Event.uscc == A).order_by(Event.id))]
        assert kinds[-2:] == ["grant", "review_top_up"]
        grant_event = s.scalars(select(Event).where(Event.entity == f"grant:{top.id}")).one()
        assert grant_event.data["top_up_of_grant"] == grants["grp-low"].id
        told = s.scalars(
            select(Notification).where(Notification.uscc == A, Notification.channel == "inbox")
        ).all()
        assert any("补发差额 4,000.00 元" in n.subject for n in told)
        # Nothing more to top up, and the difference goes to the next export.
        assert top_ups(s, [(offer.id, "excluded")]) == {}
    # The record lists the policy's amount and what its grant gives (QA: 'granted 6,000').
    with sessions() as s:
        listed = {r.policy_id: r for r in list_records(s, actor=OFFICER)}
    assert (listed["grp-high"].amount_fen, listed["grp-high"].granted_fen) == (600_000, 400_000)
    assert listed["grp-low"].granted_fen == 200_000
    with pytest.raises(ReviewConflict, match="not flagged"):
        resolve_flag(sessions, offer.id, actor=OFFICER, outcome="top-up", reason="再补")
    # The grant's notice says what it tops up.
    with sessions() as s:
        notice = grant_notice(s, actor=enterprise(A), grant_id=top.id)
    assert notice.top_up == TopUpMade(600_000, 200_000, grants["grp-low"].id)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_notice(notice))).pages)
    flat = "".join(text.split())  # the table cell wraps its lines
    assert "本次补发差额￥4,000.00元" in flat and "已发放￥2,000.00元" in flat, text
    batch = sent_for_payment(sessions, tmp_path)
    with sessions() as s:
        items = s.scalars(select(BatchItem.grant_id).where(BatchItem.batch_id == batch)).all()
        assert items == [decided.grant_id]


def test_a_shared_cap_group_limits_the_difference(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Both policies under one 5,000-yuan cap: 2,000 paid, so the higher 6,000 tops up by
    3,000 at most, and the cap is then used up."""
    shared = {"cap": 5000, "cap_group": "c"}
    _, high = lower_then_higher(sessions, tmp_path, low=shared, **shared)
    flagged = record(sessions, high)
    assert flagged.review_flag
    decided = resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    with sessions() as s:
        top = s.get(Grant, decided.grant_id)
        assert top is not None and top.amount_fen == 300_000
        usage = s.get(CapUsage, ("c", A, high.benefit_period))
        assert usage is not None and usage.used_fen == 500_000


def test_a_top_up_the_budget_cannot_take_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _, high = lower_then_higher(sessions, tmp_path, budget=3000)
    flagged = record(sessions, high)
    with pytest.raises(ReviewConflict, match=r"less than the difference of 4,000\.00 yuan"):
        resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    with sessions() as s:
        assert s.scalars(select(Grant).where(Grant.policy_id == "grp-high")).all() == []
        assert s.get(PolicyVersion, high.id).committed_fen == 0  # type: ignore[union-attr]
        ent = s.get(Entitlement, flagged.id)
        assert ent is not None and ent.review_flag and ent.status == "excluded"
        slot = s.get(ExclusivitySlot, ("g", A, high.benefit_period))
        assert slot is not None and slot.amount_fen == 200_000
    # Kept as it is instead: the lower amount stands.
    kept = resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="keep", reason="预算不足")
    assert kept.status == "excluded" and kept.grant_id is None


def test_a_top_up_is_only_for_a_record_set_behind_a_paid_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A record flagged because its enterprise no longer qualifies has nothing to top up."""
    settings, _ = build_store(tmp_path, {A: 1})
    pv = publish(settings, sessions, policy_yaml("plain"))
    build_store(tmp_path, {A: 0})
    deliver(settings, sessions, pv.id, actor=OFFICER)
    flagged = record(sessions, pv)
    assert flagged.review_flag
    with pytest.raises(ReviewConflict, match="no difference to pay"):
        resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert record(sessions, pv).review_flag


def test_a_second_top_up_counts_what_the_first_gave(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """2,000 paid, topped up to 6,000 and exported; a third policy of the group giving 8,000
    tops up by 2,000, not by 8,000 less the last grant's 4,000."""
    settings, _ = build_store(tmp_path, {A: 2})
    publish(settings, sessions, policy_yaml("grp-low", per_person=1000, exclusivity_group="g"))
    sent_for_payment(sessions, tmp_path)
    text = policy_yaml("grp-high", per_person=3000, exclusivity_group="g")
    high, _ = publish_text(sessions, text, "p.yaml", actor=OFFICER)
    # The publish summary counts the flag (QA: it said 'flagged for review 0').
    assert deliver(settings, sessions, high.id, actor=OFFICER).flagged == 1
    resolve_flag(
        sessions, record(sessions, high).id, actor=OFFICER, outcome="top-up", reason="补差"
    )
    sent_for_payment(sessions, tmp_path)
    top = publish(
        settings, sessions, policy_yaml("grp-top", per_person=4000, exclusivity_group="g")
    )
    flagged = record(sessions, top)
    assert flagged.review_flag
    decided = resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    with sessions() as s:
        granted = s.get(Grant, decided.grant_id)
        assert granted is not None and granted.amount_fen == 200_000
        total = sum(g.amount_fen for g in s.scalars(select(Grant).where(Grant.uscc == A)))
        assert total == 800_000


def test_a_lower_grant_whose_payment_failed_is_still_owed_so_only_the_difference_is_topped_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The flag said 'flagged for an officer' and the top-up refused (QA): the failed grant is
    repaid through ``disburse repay``, so the higher policy still owes only the difference."""
    _, high = lower_then_higher(sessions, tmp_path)
    with transaction(sessions) as s:
        low = s.scalars(select(Grant).where(Grant.policy_id == "grp-low")).one()
        low.status = "payment_failed"
    # Published again on the failed grant: the flag names it.
    flagged = record(sessions, high)
    with sessions() as s:
        assert top_ups(s, [(flagged.id, "excluded")]) == {flagged.id: 400_000}
    decided = resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    with sessions() as s:
        top = s.get(Grant, decided.grant_id)
        assert top is not None and top.amount_fen == 400_000


def inbox(factory: sessionmaker[Session]) -> dict[str, Notification]:
    with factory() as s:
        rows = s.scalars(
            select(Notification).where(Notification.uscc == A, Notification.channel == "inbox")
        ).all()
    return {n.kind: n for n in rows}


def test_a_superseded_grant_is_explained_to_the_enterprise(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """QA: the inbox said 'granted 2,000' and 'granted 6,000', read as 8,000 to be paid."""
    settings, _ = build_store(tmp_path, {A: 2})
    publish(settings, sessions, policy_yaml("grp-low", per_person=1000, exclusivity_group="g"))
    publish(settings, sessions, policy_yaml("grp-high", per_person=3000, exclusivity_group="g"))
    told = inbox(sessions)["superseded"]
    assert "测试政策grp-low" in told.subject
    assert "改为享受「测试政策grp-high」6,000.00 元" in told.body
    assert "2,000.00 元不再发放" in told.body


def test_an_outranked_offer_is_explained_to_the_enterprise(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {A: 2})
    low = publish(
        settings,
        sessions,
        policy_yaml("grp-low", delivery="confirm", per_person=1000, exclusivity_group="g"),
    )
    publish(settings, sessions, policy_yaml("grp-high", per_person=3000, exclusivity_group="g"))
    assert record(sessions, low).status == "excluded"
    told = inbox(sessions)["outranked"]
    assert "测试政策grp-low" in told.subject
    assert "已享受同组政策「测试政策grp-high」6,000.00 元" in told.body


def test_almost_eligible_counts_only_the_difference_once_the_group_has_paid(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """/almost's estimate of a higher policy of a group whose lower grant left for payment is
    the difference a top-up could add, not the whole amount (review, session 31)."""
    from huiqi.delivery.obtainable import obtainable

    _, high = lower_then_higher(sessions, tmp_path)
    with sessions() as s:
        found = obtainable(s, A, "grp-high", high.version, 600_000)
    assert found.amount_fen == 400_000 and found.held is not None
    assert (found.held.kind, found.held.amount_fen) == ("group", 200_000)
