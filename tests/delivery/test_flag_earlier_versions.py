"""An earlier version's grant is flagged when the policy's newest version finds its
enterprise no longer eligible (huiqi.delivery.earlier_flags), on SQLite and PostgreSQL.

Regression (review, session 33): version 1 of an auto policy granted enterprise E;
version 2 was published and E's record under it was ``excluded`` behind the version 1
grant. A new snapshot then made E fail the policy. Only the newest version delivers, and
it flags only its own records: the excluded one gave nothing, so nothing was flagged,
E's version 1 grant stayed unflagged, and the next export sent its money. Both paths a
city runs after an import (``huiqi deliver``: every published version in full, and
``huiqi deliver --changed``: the changed enterprises only) left it so.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store
from test_topup import publish
from test_version_fix import _exported

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.config import Settings
from huiqi.delivery.earlier_flags import flag_earlier
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, Event, Grant, PolicyVersion
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import resolve_flag
from huiqi.delivery.service import list_records
from huiqi.delivery.versions import compile_version

E, F = uscc(1), uscc(2)  # E stops qualifying; F still does


def _two_versions(
    factory: sessionmaker[Session], tmp_path: Path
) -> tuple[Settings, PolicyVersion, PolicyVersion]:
    """v1 grants E and F 8,000 yuan each; v2 (the same terms, reworded: a new version)
    excludes both behind their v1 grants."""
    settings, _ = build_store(tmp_path, {E: 8, F: 8})
    v1 = publish(settings, factory, policy_yaml("p"))
    v2 = publish(settings, factory, policy_yaml("p", version=2))
    with factory() as s:
        v2_records = {e.uscc: e.status for e in _records(s, v2)}
    assert v2_records == {E: "excluded", F: "excluded"}
    return settings, v1, v2


def _records(s: Session, pv: PolicyVersion) -> list[Entitlement]:
    return list(s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id)))


def _flag_events(factory: sessionmaker[Session]) -> list[Event]:
    with factory() as s:
        return list(s.scalars(select(Event).where(Event.kind == "review_flag")))


def _by_uscc(factory: sessionmaker[Session], v1: PolicyVersion) -> dict[str, Entitlement]:
    with factory() as s:
        return {e.uscc: e for e in _records(s, v1)}


def _assert_flagged_once(
    factory: sessionmaker[Session], v1: PolicyVersion, v2: PolicyVersion, sid: int
) -> None:
    held = _by_uscc(factory, v1)
    assert not held[F].review_flag
    e = held[E]
    assert e.review_flag and e.status == "granted"
    assert e.review_reason == (
        f"no longer eligible on snapshot {sid}; kept as granted or offered until an officer"
        " reviews it"
    )
    # The conditions are the newest version's, named, in the stored (slim) form.
    assert e.review_criteria == {
        "snapshot_id": sid,
        "status": "not_eligible",
        "version": 2,
        "criteria": [
            {"id": "insured", "state": "not_met", "values": {"insured_employees__2025": 0}}
        ],
    }
    events = [ev for ev in _flag_events(factory) if ev.entity == f"entitlement:{e.id}"]
    assert len(events) == 1
    assert events[0].policy_version_id == v1.id and events[0].data["version"] == 2
    with factory() as s:
        # v2's own record stays as it was: it gave nothing, no flag asks about it.
        assert [r.review_flag for r in _records(s, v2) if r.uscc == E] == [False]


def _full_delivery(settings: Settings, factory: sessionmaker[Session]) -> None:
    """``huiqi deliver`` as the scheduler runs it: every published version (the older one
    answers that a newer one delivers)."""
    with factory() as s:
        ids = list(s.scalars(select(PolicyVersion.id).order_by(PolicyVersion.id)))
    for pv_id in ids:
        deliver(settings, factory, pv_id, actor=SCHEDULER)


def test_a_full_delivery_flags_the_earlier_versions_grant_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, v1, v2 = _two_versions(sessions, tmp_path)
    _, sid = build_store(tmp_path, {E: 0, F: 8})  # E no longer insures anyone
    _full_delivery(settings, sessions)
    _assert_flagged_once(sessions, v1, v2, sid)
    before = len(_flag_events(sessions))
    _full_delivery(settings, sessions)  # again: nothing twice
    _assert_flagged_once(sessions, v1, v2, sid)
    assert len(_flag_events(sessions)) == before
    # E's grant waits for the officer; F's is paid.
    assert _exported(sessions, tmp_path) == [800_000]
    assert _exported(sessions, tmp_path) == []
    # The officer's listing shows the flag's conditions completed from version 2.
    with sessions() as s:
        rows = [r for r in list_records(s, actor=OFFICER, flagged=True) if r.uscc == E]
    assert [r.version for r in rows] == [1]
    (criterion,) = rows[0].review_criteria["criteria"]
    assert criterion["label"] == "参保" and criterion["expression"] == "insured_employees > 0"


def test_an_incremental_delivery_flags_the_earlier_versions_grant_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, v1, v2 = _two_versions(sessions, tmp_path)
    sid = change_store(tmp_path, {E: 0})
    report = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert report.changed == 1 and report.flagged == 1
    _assert_flagged_once(sessions, v1, v2, sid)
    again = deliver_changes(settings, sessions, actor=SCHEDULER, usccs=[E, F])
    assert again.flagged == 0
    _assert_flagged_once(sessions, v1, v2, sid)
    assert _exported(sessions, tmp_path) == [800_000]


def test_a_kept_flag_is_not_raised_again_on_the_same_snapshot(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, v1, _ = _two_versions(sessions, tmp_path)
    build_store(tmp_path, {E: 0, F: 8})
    _full_delivery(settings, sessions)
    record = _by_uscc(sessions, v1)[E]
    resolve_flag(sessions, record.id, actor=OFFICER, outcome="keep", reason="已核实")
    _full_delivery(settings, sessions)
    deliver_changes(settings, sessions, actor=SCHEDULER, usccs=[E])
    assert not _by_uscc(sessions, v1)[E].review_flag
    assert len(_flag_events(sessions)) == 1


def test_an_enterprise_still_eligible_under_the_newest_version_is_not_flagged(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, v1, _ = _two_versions(sessions, tmp_path)
    build_store(tmp_path, {E: 9, F: 8})  # E changed, still eligible
    _full_delivery(settings, sessions)
    deliver_changes(settings, sessions, actor=SCHEDULER, usccs=[E, F])
    assert not any(e.review_flag for e in _by_uscc(sessions, v1).values())
    assert _flag_events(sessions) == []


@pytest.mark.parametrize("path", ["full", "incremental"])
def test_a_correction_on_top_of_a_sent_grant_is_flagged_under_a_third_version(
    sessions: sessionmaker[Session], tmp_path: Path, path: str
) -> None:
    """v1's grant is sent; a reviewer's correction grants v2's difference (a grant naming
    the one it corrects); v3 excludes E behind both. When E stops qualifying, the unsent
    correction on v2's record is flagged and not exported."""
    settings, _ = build_store(tmp_path, {E: 8})
    publish(settings, sessions, policy_yaml("p"))
    assert _exported(sessions, tmp_path) == [800_000]
    v2 = publish(settings, sessions, policy_yaml("p", version=2, per_person=1500))
    (ent2,) = _by_uscc(sessions, v2).values()
    resolve_flag(sessions, ent2.id, actor=OFFICER, outcome="correct", reason="补差")
    publish(settings, sessions, policy_yaml("p", version=3, per_person=1500))
    with sessions() as s:
        correction = s.scalars(select(Grant).where(Grant.corrects_grant_id.is_not(None))).one()
        assert correction.status == "granted" and correction.amount_fen == 400_000
    if path == "full":
        build_store(tmp_path, {E: 0})
        _full_delivery(settings, sessions)
    else:
        change_store(tmp_path, {E: 0})
        deliver_changes(settings, sessions, actor=SCHEDULER)
    held = _by_uscc(sessions, v2)[E]
    assert held.review_flag and held.review_criteria["version"] == 3
    assert _exported(sessions, tmp_path) == []
    with sessions() as s:
        flags = s.scalar(select(func.count()).select_from(Event).where(Event.kind == "review_flag"))
    # v2's record (the correction) and v1's (the sent base grant): each once.
    assert flags == 2


def test_an_earlier_versions_open_offer_is_flagged_when_the_newest_no_longer_offers(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """An offer (直达快享) of v1 not yet claimed stays open where v2, which asks for more
    than 8 insured, offers E nothing (a newer offer would supersede it). On the next
    snapshot v2 finds E not eligible: v1's offer is flagged, once. v2's own delivery, on
    the snapshot v1 delivered on, already flags it (qa9's review: it waited for a new
    snapshot, and a grant in its place was paid meanwhile); the next snapshot asks
    nothing again."""
    settings, sid = build_store(tmp_path, {E: 8, F: 9})
    v1 = publish(settings, sessions, policy_yaml("p", delivery="confirm"))
    narrower = policy_yaml("p", delivery="confirm", version=2)
    v2 = publish(
        settings, sessions, narrower.replace("insured_employees > 0", "insured_employees > 8")
    )
    flagged = {u for u, e in _by_uscc(sessions, v1).items() if e.review_flag}
    assert flagged == {E}  # on the same snapshot
    build_store(tmp_path, {E: 8, F: 9})
    _full_delivery(settings, sessions)
    _full_delivery(settings, sessions)
    with sessions() as s:
        held = {
            (e.uscc, e.policy_version_id, e.status, e.review_flag)
            for e in s.scalars(select(Entitlement))
        }
    assert held == {
        (E, v1.id, "offered", True),
        (F, v1.id, "superseded", False),
        (F, v2.id, "offered", False),
    }
    e = _by_uscc(sessions, v1)[E]
    assert e.review_criteria["version"] == 2 and e.review_criteria["snapshot_id"] == sid
    assert [c["id"] for c in e.review_criteria["criteria"]] == ["insured"]
    assert len(_flag_events(sessions)) == 1


def test_a_stricter_version_on_the_same_snapshot_flags_the_earlier_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (qa9's review): version 2, published against the snapshot version 1
    delivered on, no longer makes E eligible. Version 1's delivery had stamped E's record
    with that snapshot, and the 'not yet checked against this snapshot' test skipped it:
    E's grant stayed unflagged and the next export paid it."""
    settings, _ = build_store(tmp_path, {E: 8, F: 200})  # one snapshot for both versions
    v1 = publish(settings, sessions, policy_yaml("p"))
    stricter = policy_yaml("p", version=2).replace(
        "insured_employees > 0", "insured_employees > 100"
    )
    assert stricter != policy_yaml("p", version=2)
    publish(settings, sessions, stricter)
    held = _by_uscc(sessions, v1)
    assert held[E].review_flag and not held[F].review_flag
    assert len(_flag_events(sessions)) == 1
    # Only F's grant is paid; delivering again on the same data asks nothing twice.
    with sessions() as s:
        f_fen = s.scalar(select(Grant.amount_fen).where(Grant.uscc == F))
    assert _exported(sessions, tmp_path) == [f_fen]
    _full_delivery(settings, sessions)
    assert len(_flag_events(sessions)) == 1


def test_two_deliveries_at_once_flag_the_earlier_record_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (qa8's note): a full and an incremental delivery at once both read E's
    version 1 record as unflagged and both flagged it, each with its event. The second
    now waits for the first's lock and reads its flag (PostgreSQL; SQLite serialises
    writers at BEGIN IMMEDIATE)."""
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("row locks: SQLite serialises writers at BEGIN IMMEDIATE")
    settings, v1, v2 = _two_versions(sessions, tmp_path)
    _, sid = build_store(tmp_path, {E: 0, F: 8})
    record = _by_uscc(sessions, v1)[E].id
    compiled = {v2.id: compile_version(v2)}
    done: list[int] = []
    # The first delivery has flagged E's record and not yet committed.
    first = sessions()
    first.begin()
    first.execute(update(Entitlement).where(Entitlement.id == record).values(review_flag=True))
    second = threading.Thread(
        target=lambda: done.append(
            flag_earlier(settings, sessions, compiled, {v2.id: {F}}, sid, "scheduler")
        )
    )
    second.start()
    second.join(timeout=1.5)
    assert second.is_alive()  # it waits for the first's lock
    first.commit()
    first.close()
    second.join(timeout=30)
    assert done == [0] and _flag_events(sessions) == []
