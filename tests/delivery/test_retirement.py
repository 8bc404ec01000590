"""Retiring a version withdraws its open offers and unsubmitted applications (an audit
event and a message each), and nothing under a retired version is claimed or submitted
any more, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER, SCHEDULER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import applications as apps
from huiqi.delivery.applications import ApplicationError
from huiqi.delivery.claims import ClaimError, claim
from huiqi.delivery.lifecycle import withdraw_retired_left_open
from huiqi.delivery.models import Application, Entitlement, Event, Notification
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.versions import retire_version

DAY = dt.date(2026, 6, 1)


def _published(settings, factory, name: str, mode: str):  # type: ignore[no-untyped-def]
    pv, _ = publish_text(factory, policy_yaml(name, delivery=mode), f"{name}.yaml", actor=OFFICER)
    deliver(settings, factory, pv.id, actor=OFFICER)
    with factory() as s:
        rows = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id))
        return pv, {e.uscc: e.id for e in rows}


def _retire(factory: sessionmaker[Session], pv_id: int, reason: str) -> int:
    with transaction(factory) as s:
        return retire_version(s, actor=OFFICER, version_id=pv_id, reason=reason).withdrawn


def _record(factory: sessionmaker[Session], record_id: int) -> Entitlement:
    with factory() as s:
        ent = s.get(Entitlement, record_id)
        assert ent is not None
        return ent


def test_retiring_withdraws_open_offers_and_a_claim_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a retired version's open offers were still claimable."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 1, b: 1})
    pv, ids = _published(settings, sessions, "offer", "confirm")
    kept = claim(sessions, actor=enterprise(a), entitlement_id=ids[a], today=DAY)
    assert kept.grant_id is not None
    assert _retire(sessions, pv.id, "政策调整 replaced by v2") == 1  # b's offer, not a's grant
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
    retired = f"「{pv.title_zh}」 (offer v1) was retired on {today}: 政策调整 replaced by v2"
    withdrawn = _record(sessions, ids[b])
    assert (withdrawn.status, withdrawn.status_reason) == ("withdrawn", retired)
    assert _record(sessions, ids[a]).status == "granted"  # what was granted stays granted
    with pytest.raises(ClaimError) as refused:
        claim(sessions, actor=enterprise(b), entitlement_id=ids[b], today=DAY)
    assert refused.value.message == f"offer {ids[b]} is 'withdrawn': {retired}"
    again = claim(sessions, actor=enterprise(a), entitlement_id=ids[a], today=DAY)
    assert again.already and again.grant_id == kept.grant_id
    with sessions() as s:
        events = s.scalars(select(Event).where(Event.kind == "retire_withdraw")).all()
        assert [(e.entity, e.uscc, e.reason) for e in events] == [
            (f"entitlement:{ids[b]}", b, retired)
        ]
        retire = s.scalars(select(Event).where(Event.kind == "retire")).one()
        assert retire.data is not None and retire.data["withdrawn"] == 1
        inbox = s.scalars(
            select(Notification).where(Notification.uscc == b, Notification.kind == "withdrawn")
        ).all()
        assert [n.subject for n in inbox if n.channel == "inbox"] == [
            f"「{pv.title_zh}」已停止受理"
        ]
        assert inbox[0].body == (
            f"「{pv.title_zh}」（第1版）已于{today}停止执行（原因：政策调整 replaced by v2），"
            "您尚未确认领取的待领取项已撤回。"
        )


def test_an_offer_left_open_under_a_retired_version_is_refused_saying_when(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """An offer still open under a version retired before retiring withdrew (or racing
    the retirement) is refused, naming what was retired, when and why."""
    a = uscc(1)
    settings, _ = build_store(tmp_path, {a: 1})
    pv, ids = _published(settings, sessions, "old-offer", "confirm")
    _retire(sessions, pv.id, "期满")
    with transaction(sessions) as s:  # as a ledger retired before this change left it
        s.execute(update(Entitlement).where(Entitlement.id == ids[a]).values(status="offered"))
    with pytest.raises(ClaimError) as refused:
        claim(sessions, actor=enterprise(a), entitlement_id=ids[a], today=DAY)
    assert refused.value.message.startswith(
        f"offer {ids[a]} can no longer be claimed: 「{pv.title_zh}」 (old-offer v1) was retired on"
    )
    assert refused.value.message.endswith(": 期满")
    assert _record(sessions, ids[a]).status == "offered"


def test_retiring_closes_unsubmitted_applications_and_keeps_submitted_ones(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a retired version's open applications could still be submitted."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 4, b: 4})
    pv, ids = _published(settings, sessions, "apply", "apply")
    assert apps.submit(sessions, ids[a], actor=enterprise(a)).status == "submitted"
    _retire(sessions, pv.id, "停止受理")
    assert _record(sessions, ids[a]).status == "submitted"  # an officer still decides it
    closed = _record(sessions, ids[b])
    assert closed.status == "withdrawn" and "(apply v1) was retired on" in (
        closed.status_reason or ""
    )
    with sessions() as s:
        app = s.scalar(select(Application).where(Application.entitlement_id == ids[b]))
        assert app is not None and (app.decision, app.decided_by) == ("withdrawn", "officer")
    with pytest.raises(
        ApplicationError, match=re.escape(f"application {ids[b]} can no longer be submitted: 「")
    ):
        apps.submit(sessions, ids[b], actor=enterprise(b))
    assert apps.approve(sessions, ids[a], actor=OFFICER).grant_id is not None


def test_records_left_open_by_an_earlier_retirement_are_withdrawn_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: offers and applications left open under a version retired before
    retiring withdrew stayed 'offered' for ever; the scheduler's sweep withdraws them with
    the retirement's own reason, telling each enterprise, and a second sweep does nothing."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 4, b: 4})
    offer, offers = _published(settings, sessions, "old-offer", "confirm")
    apply, applied = _published(settings, sessions, "old-apply", "apply")
    _retire(sessions, offer.id, "期满")
    _retire(sessions, apply.id, "停止受理")
    left = [offers[a], offers[b], applied[a], applied[b]]
    with transaction(sessions) as s:  # as a ledger retired before this change left it
        s.execute(
            update(Entitlement)
            .where(Entitlement.id.in_(left[:2]))
            .values(status="offered", status_reason=None)
        )
        s.execute(
            update(Entitlement)
            .where(Entitlement.id.in_(left[2:]))
            .values(status="application_open", status_reason=None)
        )
        s.execute(
            update(Application)
            .where(Application.entitlement_id.in_(left[2:]))
            .values(decision=None, decided_by=None, decided_at=None, reason=None)
        )
        s.execute(delete(Notification).where(Notification.kind == "withdrawn"))
    assert withdraw_retired_left_open(sessions, actor=SCHEDULER) == 4
    for rid in left[:2]:
        ent = _record(sessions, rid)
        reason = ent.status_reason or ""
        assert ent.status == "withdrawn" and "(old-offer v1) was retired on " in reason
        assert reason.endswith(": 期满")
    for rid in left[2:]:
        ent = _record(sessions, rid)
        assert ent.status == "withdrawn" and (ent.status_reason or "").endswith(": 停止受理")
    with sessions() as s:
        decided = s.scalars(
            select(Application.decision).where(Application.entitlement_id.in_(left[2:]))
        ).all()
        assert decided == ["withdrawn", "withdrawn"]
        told = s.scalars(
            select(Notification.uscc).where(
                Notification.kind == "withdrawn", Notification.channel == "inbox"
            )
        ).all()
        assert sorted(told) == sorted([a, b, a, b])
    assert withdraw_retired_left_open(sessions, actor=SCHEDULER) == 0
    with pytest.raises(Exception, match="scheduler"):
        withdraw_retired_left_open(sessions, actor=OFFICER)
