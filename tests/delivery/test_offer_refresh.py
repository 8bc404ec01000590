"""An open offer takes the amount its enterprise's changed data give ('huiqi deliver
--changed'); a claimed one never changes, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store

from huiqi.accounts.testing import OFFICER, SCHEDULER, enterprise
from huiqi.delivery import applications as apps
from huiqi.delivery.claims import claim
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Application, Entitlement, Event, Grant, Notification
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.recompute import recompute

DAY = dt.date(2026, 6, 1)


def _offers(settings, factory):  # type: ignore[no-untyped-def]
    text = policy_yaml("refresh-offer", delivery="confirm", per_person=10)
    pv, _ = publish_text(factory, text, "o.yaml", actor=OFFICER)
    deliver(settings, factory, pv.id, actor=SCHEDULER)
    return pv


def _records(factory: sessionmaker[Session]) -> dict[str, Entitlement]:
    with factory() as s:
        return {e.uscc: e for e in s.scalars(select(Entitlement))}


def test_an_unclaimed_offer_takes_the_new_amount_and_a_claimed_one_keeps_its_own(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: after the data changed, 'huiqi deliver --changed' left open offers at the
    amount of the snapshot they were made on."""
    grows, same, claimed = uscc(1), uscc(2), uscc(3)
    settings, first = build_store(tmp_path, {grows: 2, same: 2, claimed: 2})
    pv = _offers(settings, sessions)
    before = _records(sessions)
    assert {u: e.computed_fen for u, e in before.items()} == {
        grows: 2000,
        same: 2000,
        claimed: 2000,
    }
    taken = claim(sessions, actor=enterprise(claimed), entitlement_id=before[claimed].id, today=DAY)
    sid = change_store(tmp_path, {grows: 7, claimed: 9})

    report = deliver_changes(settings, sessions, actor=SCHEDULER)

    assert (
        report.refreshed == 1
        and "open offers and applications given their new amount: 1" in report.summary()
    )
    after = _records(sessions)
    moved = after[grows]
    assert (moved.status, moved.computed_fen, moved.snapshot_id) == ("offered", 7000, sid)
    assert moved.explanation["amount"]["amount_fen"] == 7000
    assert (after[same].computed_fen, after[same].snapshot_id) == (2000, first)
    assert (after[claimed].status, after[claimed].computed_fen) == ("granted", 2000)
    with sessions() as s:
        assert s.get(Grant, taken.grant_id).amount_fen == 2000  # type: ignore[union-attr]
        event = s.scalars(select(Event).where(Event.kind == "offer_amount")).one()
        assert (event.entity, event.uscc, event.data) == (
            f"entitlement:{moved.id}",
            grows,
            {"from_fen": 2000, "to_fen": 7000, "snapshot_id": sid},
        )
        told = s.scalars(
            select(Notification.subject).where(
                Notification.uscc == grows,
                Notification.kind == "offer_amount",
                Notification.channel == "inbox",
            )
        ).all()
        assert told == [f"「{pv.title_zh}」可领取金额已更新为70.00元"]
    # Claimed now, the grant is the new amount, reproduced from the snapshot it came from.
    granted = claim(sessions, actor=enterprise(grows), entitlement_id=moved.id, today=DAY)
    assert granted.amount_fen == 7000
    assert granted.grant_id is not None
    assert recompute(settings, sessions, granted.grant_id, actor=OFFICER).same
    # Nothing changed since: a second run changes nothing.
    assert deliver_changes(settings, sessions, actor=SCHEDULER).refreshed == 0


def test_a_full_delivery_gives_open_offers_the_new_amount_too(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    grows = uscc(1)
    settings, _ = build_store(tmp_path, {grows: 2})
    pv = _offers(settings, sessions)
    change_store(tmp_path, {grows: 7})
    deliver(settings, sessions, pv.id, actor=SCHEDULER)
    assert _records(sessions)[grows].computed_fen == 7000


def test_an_open_application_takes_the_new_estimate_and_a_submitted_one_keeps_its_own(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: an open (unsubmitted) application kept the pre-filled estimate of the
    snapshot it was made on after newer data gave another amount."""
    grows, submitted = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {grows: 2, submitted: 2})
    text = policy_yaml("refresh-apply", delivery="apply", per_person=10)
    pv, _ = publish_text(sessions, text, "a.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=SCHEDULER)
    before = _records(sessions)
    apps.submit(sessions, before[submitted].id, actor=enterprise(submitted), attest=True)
    sid = change_store(tmp_path, {grows: 7, submitted: 9})

    report = deliver_changes(settings, sessions, actor=SCHEDULER)

    assert report.refreshed == 1
    after = _records(sessions)
    moved = after[grows]
    assert (moved.status, moved.computed_fen, moved.snapshot_id) == ("application_open", 7000, sid)
    assert (after[submitted].status, after[submitted].computed_fen) == ("submitted", 2000)
    with sessions() as s:
        forms = {
            e: a.prefilled
            for e, a in s.execute(
                select(Entitlement.uscc, Application).join(
                    Application, Application.entitlement_id == Entitlement.id
                )
            ).all()
        }
        assert forms[grows]["estimated_fen"] == 7000
        assert forms[submitted]["estimated_fen"] == 2000
        event = s.scalars(select(Event).where(Event.kind == "application_estimate")).one()
        assert (event.entity, event.data) == (
            f"entitlement:{moved.id}",
            {"from_fen": 2000, "to_fen": 7000, "snapshot_id": sid},
        )
        told = s.scalars(
            select(Notification.subject).where(
                Notification.uscc == grows,
                Notification.kind == "application_estimate",
                Notification.channel == "inbox",
            )
        ).all()
        assert told == [f"「{pv.title_zh}」申报预估金额已更新为70.00元"]
    assert deliver_changes(settings, sessions, actor=SCHEDULER).refreshed == 0
