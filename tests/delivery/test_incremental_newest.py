"""Incremental delivery while a policy's newest version awaits its first full delivery,
and after a policy's window has closed (SQLite and PostgreSQL).

Regression (qa1): version 1 granted E and F; version 2 of the policy was published and
not yet delivered (its first delivery is a whole-population run an officer starts). An
import then made E fail the policy, and the scheduler's incremental delivery ran. It left
the whole policy alone: version 1 as replaced, version 2 as never delivered. Nothing
judged E's version 1 grant, which stayed unflagged, and the next export paid it; before
version 2 was published the same run flagged it. Now version 2, the newest, judges what
earlier versions hold for the changed enterprises (``earlier_flags``), as its first full
delivery will, and still delivers nothing new before that delivery.

Regression (qa1): an incremental delivery granted a newly eligible enterprise after the
policy's valid_to, where a full delivery delivers nothing new once the window has closed
(``publish.deliver``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store, ledger
from test_topup import publish
from test_version_fix import _exported

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.delivery.correction_queue import corrections
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, Event, PolicyVersion
from huiqi.delivery.publish import deliver, publish_text

E, F, N = uscc(1), uscc(2), uscc(3)  # E stops qualifying; F still does; N is new


def _v2_published(
    sessions: sessionmaker[Session], tmp_path: Path
) -> tuple[object, PolicyVersion, PolicyVersion]:
    settings, _ = build_store(tmp_path, {E: 8, F: 8})
    v1 = publish(settings, sessions, policy_yaml("p"))
    v2, _ = publish_text(sessions, policy_yaml("p", version=2), "v2.yaml", actor=OFFICER)
    return settings, v1, v2


def _v1_records(sessions: sessionmaker[Session], v1: PolicyVersion) -> dict[str, Entitlement]:
    with sessions() as s:
        rows = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == v1.id))
        return {e.uscc: e for e in rows}


def _flag_events(sessions: sessionmaker[Session]) -> list[Event]:
    with sessions() as s:
        return list(s.scalars(select(Event).where(Event.kind == "review_flag")))


def test_an_undelivered_newest_version_judges_the_earlier_grants_of_changed_enterprises(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, v1, v2 = _v2_published(sessions, tmp_path)
    sid = change_store(tmp_path, {E: 0, F: 9, N: 3})

    report = deliver_changes(settings, sessions, actor=SCHEDULER)

    held = _v1_records(sessions, v1)
    assert held[E].review_flag and held[E].status == "granted"
    assert held[E].review_criteria is not None
    assert (held[E].review_criteria["snapshot_id"], held[E].review_criteria["version"]) == (sid, 2)
    assert not held[F].review_flag
    # Nothing new before version 2's first delivery: N waits for it, nothing is recorded
    # under version 2, and E's grant waits for the officer while F's is paid.
    assert {u for u, *_ in ledger(sessions)} == {E, F}
    assert _exported(sessions, tmp_path) == [800_000]
    assert (report.changed, report.flagged, report.new_records) == (3, 1, 0)
    assert report.undelivered == ["p v2"] and report.judged == ["p v2"]
    assert "judged by the newest version" in report.summary()
    # Nothing changed since: the next run visits nobody and flags nothing twice.
    again = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert (again.since, again.changed, again.flagged) == (sid, 0, 0)
    # Version 2's first delivery grants N and does not flag E a second time.
    full = deliver(settings, sessions, v2.id, actor=SCHEDULER)
    assert full.granted == 1
    assert [ev.entity for ev in _flag_events(sessions)] == [f"entitlement:{held[E].id}"]
    # F, paid 8,000 yuan under version 1 and given 9,000 by version 2 on its new data, is
    # excluded behind that grant and flagged: a correction pays the difference, never both.
    with sessions() as s:
        f2 = s.scalars(
            select(Entitlement).where(Entitlement.policy_version_id == v2.id, Entitlement.uscc == F)
        ).one()
        assert (f2.status, f2.review_flag) == ("excluded", True)
        fix = corrections(s, [(f2.id, f2.status)])[f2.id]
    assert (fix.sent, fix.given_fen, fix.grants_fen) == (True, 800_000, 100_000)


def test_a_policy_never_delivered_is_still_left_alone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {E: 8, F: 8})
    publish_text(sessions, policy_yaml("p"), "v1.yaml", actor=OFFICER)
    publish_text(sessions, policy_yaml("p", version=2), "v2.yaml", actor=OFFICER)
    change_store(tmp_path, {E: 0, N: 3})
    report = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert (report.undelivered, report.judged, report.flagged) == (["p v2"], [], 0)
    assert ledger(sessions) == set()


def test_nothing_new_is_delivered_after_the_window_closed(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = build_store(tmp_path, {E: 8, F: 8})
    v1 = publish(settings, sessions, policy_yaml("p", valid_to=dt.date(2026, 12, 31)))
    before = ledger(sessions)
    monkeypatch.setenv("HUIQI_TODAY", "2027-01-05")
    change_store(tmp_path, {F: 9, N: 3})

    report = deliver_changes(settings, sessions, actor=SCHEDULER)

    assert report.new_records == 0 and report.closed == ["p v1"]
    assert "window closed" in report.summary()
    assert ledger(sessions) == before
    # As a full delivery: nothing new once the window has closed.
    assert deliver(settings, sessions, v1.id, actor=SCHEDULER).closed_on == dt.date(2026, 12, 31)
    assert ledger(sessions) == before


def test_after_the_window_closed_a_grant_the_new_data_no_longer_support_is_flagged(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (review, qa10): the window fix left a closed version out of incremental
    delivery entirely, its judging too. E, granted 8,000 yuan before valid_to and not yet
    paid, stopped qualifying on the next import: its grant stayed unflagged and the next
    export paid it; before that fix the same run flagged it. Nothing new is delivered."""
    settings, _ = build_store(tmp_path, {E: 8, F: 8})
    v1 = publish(settings, sessions, policy_yaml("p", valid_to=dt.date(2026, 12, 31)))
    monkeypatch.setenv("HUIQI_TODAY", "2027-01-05")
    change_store(tmp_path, {E: 0, F: 8, N: 3})

    report = deliver_changes(settings, sessions, actor=SCHEDULER)

    held = _v1_records(sessions, v1)
    assert held[E].review_flag and held[E].status == "granted"
    assert not held[F].review_flag
    assert (report.flagged, report.new_records, report.closed) == (1, 0, ["p v1"])
    assert {u for u, *_ in ledger(sessions)} == {E, F}
    assert _exported(sessions, tmp_path) == [800_000]  # F's alone; E's waits for the officer
    again = deliver_changes(settings, sessions, actor=SCHEDULER)
    assert (again.changed, again.flagged) == (0, 0)
