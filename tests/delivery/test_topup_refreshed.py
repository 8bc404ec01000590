"""A top-up pays what the group's policies give on the newest delivered snapshot, never
the amount of the snapshot that first judged the record (SQLite and PostgreSQL).

Regression (qa11): 2 insured: grp-low granted 2,000 yuan and was exported; grp-high of the
same group (3,000 a person: 6,000) was excluded behind it and flagged for a top-up of
4,000. An import then gave the enterprise 3 insured (grp-high 9,000) and deliveries ran
on it; the flagged record kept 6,000 yuan, and ``top-up`` granted the old 4,000
difference, which was exported (7,000 was due). Where the new data made grp-high give no
more than the 2,000 paid, the flag stayed and a top-up paid the old difference; with no
insured staff the flag was closed as "no correction is due" while the preview still
offered 4,000. A later delivery now gives the set-aside record the amount, explanation
and snapshot it finds (flagged while it gives more than the group gave); no longer
eligible, its top-up flag is closed and ``top-up`` pays nothing. A top-up is also refused
while the group's grant it would add to is itself flagged (the newest data question it):
before, it was granted on top of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store
from test_topup import A, lower_then_higher, publish, record, sent_for_payment
from test_version_fix import _exported

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.config import get_settings
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, Event, PolicyVersion
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.delivery.topup_queue import top_ups
from huiqi.delivery.versions import publish_text


def _import(sessions, tmp_path: Path, staff: int, how: str, *pvs: PolicyVersion) -> int:  # type: ignore[no-untyped-def]
    sid = change_store(tmp_path, {record(sessions, pvs[0]).uscc: staff})
    settings = get_settings(tmp_path)
    if how == "incremental":
        deliver_changes(settings, sessions, actor=SCHEDULER)
    else:
        for pv in pvs:
            deliver(settings, sessions, pv.id, actor=OFFICER)
    return sid


@pytest.mark.parametrize("how", ["incremental", "full"])
def test_a_top_up_pays_the_newest_snapshots_amount(
    sessions: sessionmaker[Session], tmp_path: Path, how: str
) -> None:
    low, high = lower_then_higher(sessions, tmp_path)
    first = record(sessions, high)
    assert first.status == "excluded" and first.review_flag and first.computed_fen == 600_000
    sid = _import(sessions, tmp_path, 3, how, high, low)  # grp-high 9,000; grp-low 3,000
    flagged = record(sessions, high)
    assert (flagged.computed_fen, flagged.snapshot_id, flagged.last_snapshot_id) == (
        900_000,
        sid,
        sid,
    )
    assert flagged.explanation != first.explanation and flagged.review_flag
    with sessions() as s:
        assert top_ups(s, [(flagged.id, flagged.status)]) == {flagged.id: 700_000}
        said = s.scalars(select(Event.reason).where(Event.entity == f"entitlement:{flagged.id}"))
        assert any("9,000.00" in r and "6,000.00" in r for r in said)
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="按文件补足差额")
    assert _exported(sessions, tmp_path) == [700_000]


@pytest.mark.parametrize("how", ["incremental", "full"])
def test_an_enterprise_eligible_for_neither_is_not_topped_up(
    sessions: sessionmaker[Session], tmp_path: Path, how: str
) -> None:
    low, high = lower_then_higher(sessions, tmp_path)
    sid = _import(sessions, tmp_path, 0, how, high, low)
    held, lost = record(sessions, low), record(sessions, high)
    assert held.review_flag  # the group's grant is questioned (flag_lost)
    assert not lost.review_flag and lost.match_status == "not_eligible"
    with sessions() as s:
        assert top_ups(s, [(lost.id, lost.status)]) == {}
        closed = s.scalars(
            select(Event.reason).where(
                Event.entity == f"entitlement:{lost.id}", Event.kind == "review_closed"
            )
        ).one()
    assert str(sid) in closed and "grp-high v1" in closed and "top-up" in closed
    with pytest.raises(ReviewConflict, match="not flagged"):
        resolve_flag(sessions, lost.id, actor=OFFICER, outcome="top-up", reason="补差")
    resolve_flag(sessions, held.id, actor=OFFICER, outcome="keep", reason="已核实")
    assert _exported(sessions, tmp_path) == []


@pytest.mark.parametrize("how", ["incremental", "full"])
def test_no_more_than_the_group_gave_closes_the_question(
    sessions: sessionmaker[Session], tmp_path: Path, how: str
) -> None:
    """grp-high at 1,500 a person: 3,000 for 2 insured, flagged over the 2,000 paid; with
    1 insured it gives 1,500, no more than the group gave: nothing is left to top up."""
    settings, _ = build_store(tmp_path, {A: 2})
    low = publish(settings, sessions, policy_yaml("grp-low", exclusivity_group="g"))
    sent_for_payment(sessions, tmp_path)
    high = publish(
        settings, sessions, policy_yaml("grp-high", per_person=1500, exclusivity_group="g")
    )
    assert record(sessions, high).review_flag
    _import(sessions, tmp_path, 1, how, high, low)
    done = record(sessions, high)
    assert done.computed_fen == 150_000 and not done.review_flag
    assert done.status == "excluded" and "flagged" not in (done.status_reason or "")
    with sessions() as s:
        assert top_ups(s, [(done.id, done.status)]) == {}
    with pytest.raises(ReviewConflict, match="not flagged"):
        resolve_flag(sessions, done.id, actor=OFFICER, outcome="top-up", reason="补差")


def test_a_top_up_waits_for_the_flag_on_the_groups_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Only grp-low loses the enterprise (its own criterion): its grant is flagged; grp-high
    still gives 6,000, and its top-up waits until that flag is decided."""
    low, high = lower_then_higher(sessions, tmp_path)
    flagged = record(sessions, high)
    held = record(sessions, low)
    with sessions.begin() as s:  # grp-low's grant questioned, as flag_lost leaves it
        s.execute(update(Entitlement).where(Entitlement.id == held.id).values(review_flag=True))
    with sessions() as s:  # the preview still shows the difference; the decision waits
        assert top_ups(s, [(flagged.id, flagged.status)]) == {flagged.id: 400_000}
    with pytest.raises(ReviewConflict, match="decide that flag first"):
        resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    resolve_flag(sessions, held.id, actor=OFFICER, outcome="keep", reason="已核实")
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert _exported(sessions, tmp_path) == [400_000]


def test_a_closed_versions_top_up_pays_the_newest_amount(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (qa13): grp-high's window closed before the import that gave the
    enterprise 1 insured (grp-high 3,000 yuan, 1,000 over the 2,000 paid). Incremental
    delivery judged the closed version's flags but never its set-aside records' amounts: the
    record kept 6,000 yuan and ``top-up`` granted the old 4,000 difference."""
    _, high = lower_then_higher(sessions, tmp_path, valid_to=dt.date(2026, 12, 31))
    assert record(sessions, high).review_flag
    monkeypatch.setenv("HUIQI_TODAY", "2027-01-05")
    sid = change_store(tmp_path, {record(sessions, high).uscc: 1})
    deliver_changes(get_settings(tmp_path), sessions, actor=SCHEDULER)
    flagged = record(sessions, high)
    assert (flagged.computed_fen, flagged.snapshot_id) == (300_000, sid)
    with sessions() as s:
        assert top_ups(s, [(flagged.id, flagged.status)]) == {flagged.id: 100_000}
    resolve_flag(sessions, flagged.id, actor=OFFICER, outcome="top-up", reason="按文件补足差额")
    assert _exported(sessions, tmp_path) == [100_000]


def test_a_replaced_versions_record_is_not_topped_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression (qa13): grp-high v2 published, not delivered (v1 stands in); an import gave
    the enterprise 1 insured (3,000 yuan, 1,000 over the 2,000 paid). v1's flagged record
    kept 6,000 yuan (only the newest version's records are judged again) and ``top-up``
    granted and exported the old 4,000 difference. A top-up now waits for the newest
    version: delivered, its own record carries the question at the newest amount."""
    _, high = lower_then_higher(sessions, tmp_path)
    assert record(sessions, high).review_flag
    text = policy_yaml("grp-high", per_person=3000, exclusivity_group="g", version=2)
    v2, _ = publish_text(sessions, text, "p.yaml", actor=OFFICER)
    change_store(tmp_path, {record(sessions, high).uscc: 1})
    deliver_changes(get_settings(tmp_path), sessions, actor=SCHEDULER)
    old = record(sessions, high)
    with pytest.raises(ReviewConflict, match="grp-high v2 is published and delivers instead"):
        resolve_flag(sessions, old.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert _exported(sessions, tmp_path) == []
    deliver(get_settings(tmp_path), sessions, v2.id, actor=OFFICER)
    new = record(sessions, v2)
    assert new.computed_fen == 300_000 and new.review_flag
    resolve_flag(sessions, new.id, actor=OFFICER, outcome="top-up", reason="补差")
    assert _exported(sessions, tmp_path) == [100_000]
