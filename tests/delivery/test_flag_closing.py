"""One open question per enterprise and policy: a review flag of a version that is replaced
or retired leaves the officers' queue when its record gave the enterprise nothing, with a
``review_closed`` event; a flag on a grant stays, and its grant waits (never exported
until an officer decides). On SQLite and PostgreSQL (huiqi.delivery.flag_closing)."""

from __future__ import annotations

from pathlib import Path

from helpers import build_store, policy_yaml, uscc
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import FINANCE, OFFICER, SCHEDULER
from huiqi.db.engine import transaction
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.lifecycle import withdraw_retired_left_open
from huiqi.delivery.models import BatchItem, Entitlement, Event, Grant
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.service import list_records
from huiqi.delivery.versions import retire_version


def _queue(factory: sessionmaker[Session]) -> list[tuple[str, int]]:
    """The officers' queue: (USCC, version) of every flagged record."""
    with factory() as s:
        return [(r.uscc, r.version) for r in list_records(s, actor=OFFICER, flagged=True)]


def _closed(factory: sessionmaker[Session]) -> dict[str, str]:
    """entitlement:ID → reason of every ``review_closed`` event."""
    with factory() as s:
        rows = s.execute(select(Event.entity, Event.reason).where(Event.kind == "review_closed"))
        return {str(e): str(r) for e, r in rows}


def _publish(settings, factory, version: int, per_person: int, **more):  # type: ignore[no-untyped-def]
    text = policy_yaml("once-q", version=version, per_person=per_person, **more)
    pv, _ = publish_text(factory, text, f"v{version}.yaml", actor=OFFICER)
    return pv, deliver(settings, factory, pv.id, actor=OFFICER)


def _exported(factory: sessionmaker[Session], out: Path) -> set[str]:
    with transaction(factory) as s:
        batch = export_batch(s, out_dir=out, actor=FINANCE)
        ids = set(s.scalars(select(BatchItem.grant_id).where(BatchItem.batch_id == batch.id)))
        return set(s.scalars(select(Grant.uscc).where(Grant.id.in_(ids))))


def test_each_new_version_replaces_the_older_versions_open_question(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: v2 and v3 of a policy, each giving a different amount, each flagged the
    enterprise v1 had granted ("v2 would give ...", "v3 would give ..."): the queue asked
    the officer once per version. The newest version's flag replaces the older one's."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path / "data", {a: 2, b: 2})
    v1, _ = _publish(settings, sessions, 1, 1000)
    build_store(tmp_path / "data", {a: 0, b: 2})  # a no longer qualifies: its grant flagged
    assert deliver(settings, sessions, v1.id, actor=OFFICER).flagged == 1
    v2, second = _publish(settings, sessions, 2, 1001)
    assert second.flagged == 1 and _queue(sessions) == [(a, 1), (b, 2)]
    v3, third = _publish(settings, sessions, 3, 1002)
    assert third.flagged == 1 and third.flags_closed == 1
    assert "older versions' flags closed, nothing left to decide: 1" in third.summary()
    # One question each: a's grant under v1 (it waits), b's correction under v3.
    assert _queue(sessions) == [(a, 1), (b, 3)]

    with sessions() as s:
        old = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == v2.id)).one()
        assert (old.status, old.review_flag, old.review_reason) == ("excluded", False, None)
        # v1's grants, one each, whatever the versions asked.
        assert s.scalar(select(func.count()).select_from(Grant)) == 2
    assert _closed(sessions) == {
        f"entitlement:{old.id}": "once-q v3 delivers instead and the record gave the enterprise"
        " nothing: no decision is left to take"
    }
    # Delivering v3 again closes nothing more.
    assert deliver(settings, sessions, v3.id, actor=SCHEDULER).flags_closed == 0


def test_a_flagged_grant_stays_in_the_queue_and_waits_when_a_newer_version_delivers(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path / "data", {a: 2, b: 2})
    _publish(settings, sessions, 1, 1000)
    build_store(tmp_path / "data", {a: 0, b: 2})  # a no longer qualifies: its grant flagged
    assert _queue(sessions) == []
    _publish(settings, sessions, 1, 1000)  # the same text: delivered again on the new data
    assert _queue(sessions) == [(a, 1)]
    _, second = _publish(settings, sessions, 2, 1000)
    assert second.flags_closed == 0
    assert _queue(sessions) == [(a, 1)]
    assert _exported(sessions, tmp_path / "out") == {b}


def test_retiring_closes_the_flags_of_records_that_gave_nothing_not_a_flagged_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b, c = uscc(1), uscc(2), uscc(3)
    settings, _ = build_store(tmp_path / "data", {a: 2, b: 2, c: 2})
    offers, _ = publish_text(
        sessions, policy_yaml("ret-o", delivery="confirm"), "o.yaml", actor=OFFICER
    )
    grants, _ = publish_text(sessions, policy_yaml("ret-g"), "g.yaml", actor=OFFICER)
    for pv in (offers, grants):
        deliver(settings, sessions, pv.id, actor=OFFICER)
    build_store(tmp_path / "data", {a: 0, b: 0, c: 2})  # a and b no longer qualify
    for pv in (offers, grants):
        assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 2
    assert sorted(_queue(sessions)) == sorted([(a, 1), (b, 1)] * 2)

    with sessions.begin() as s:
        retire_version(s, actor=OFFICER, version_id=offers.id, reason="条款调整")
        retire_version(s, actor=OFFICER, version_id=grants.id, reason="条款调整")
    # The offers were withdrawn (they gave nothing): their flags are closed. The grants
    # stay flagged, and wait: no export takes them.
    with sessions() as s:
        left = s.execute(
            select(Entitlement.policy_version_id, Entitlement.status)
            .where(Entitlement.review_flag.is_(True))
            .order_by(Entitlement.id)
        ).all()
        retired = s.scalars(select(Event).where(Event.kind == "retire")).all()
    assert [tuple(r) for r in left] == [(grants.id, "granted")] * 2
    assert [e.data["flags_closed"] for e in retired if e.data] == [2, 0]
    reasons = set(_closed(sessions).values())
    assert reasons == {
        "ret-o v1 is retired and the record gave the enterprise nothing: no decision is left"
        " to take"
    }
    assert _exported(sessions, tmp_path / "out") == {c}


def test_the_expiry_job_closes_flags_left_on_versions_retired_before(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a = uscc(1)
    settings, _ = build_store(tmp_path / "data", {a: 2})
    pv, _ = publish_text(
        sessions, policy_yaml("ret-old", delivery="confirm"), "o.yaml", actor=OFFICER
    )
    deliver(settings, sessions, pv.id, actor=OFFICER)
    with sessions.begin() as s:
        retire_version(s, actor=OFFICER, version_id=pv.id, reason="条款调整")
        # As a version retired before retiring closed flags left it: withdrawn, flagged.
        record = s.scalars(select(Entitlement)).one()
        record.review_flag, record.review_reason = True, "no longer eligible on snapshot 1"
    assert _queue(sessions) == [(a, 1)]
    assert withdraw_retired_left_open(sessions, actor=SCHEDULER) == 0
    assert _queue(sessions) == []
    assert list(_closed(sessions)) == [f"entitlement:{record.id}"]
    withdraw_retired_left_open(sessions, actor=SCHEDULER)
    assert len(_closed(sessions)) == 1
