"""The scheduler's sweep reminds a department before a deadline and escalates when one
has passed, once each (a second sweep, or one at the same time, adds nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from desk_helpers import BEFORE_FESTIVAL, FINANCE_BUREAU, desk_officer, filed
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import ADMIN, SCHEDULER
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event
from huiqi.desk import closing
from huiqi.desk.handling import acknowledge
from huiqi.desk.queries import list_requests
from huiqi.desk.sweep import sweep
from huiqi.desk.workdays import covered_years


def _at(day: int, month: int = 2) -> dt.datetime:
    return dt.datetime(2026, month, day, 1, 0)  # 09:00 in Shanghai


def test_reminded_before_and_escalated_after_each_deadline_once(
    sessions: sessionmaker[Session],
) -> None:
    req = filed(sessions)  # ack by Sat 14 Feb, answer by Fri 27 Feb
    with transaction(sessions) as s:
        first = sweep(s, actor=SCHEDULER, now=_at(13))
        again = sweep(s, actor=SCHEDULER, now=_at(13))
    assert (first.reminded, first.escalated, again.reminded) == ([req.id], [], [])
    with transaction(sessions) as s:
        late = sweep(s, actor=SCHEDULER, now=_at(16))  # the holiday: the 14th has passed
        assert sweep(s, actor=SCHEDULER, now=_at(17)).escalated == []
    assert late.escalated == [req.id]
    head = desk_officer(FINANCE_BUREAU, Role.DESK_HEAD)
    with sessions() as s:
        assert [r.id for r in list_requests(s, actor=head, escalated=True)] == [req.id]
        overdue = list_requests(s, actor=head, overdue_on=dt.date(2026, 2, 16))
        assert [r.id for r in overdue] == [req.id]
    with transaction(sessions) as s:
        acknowledge(s, actor=head, request_id=req.id, now=_at(24))
        # 25 Feb: two working days (26, 27) left, more than the category's one: no reminder.
        assert sweep(s, actor=SCHEDULER, now=_at(25)).reminded == []
        assert sweep(s, actor=SCHEDULER, now=_at(26)).reminded == [req.id]
        assert sweep(s, actor=SCHEDULER, now=_at(2, 3)).escalated == []  # escalated already
    with sessions() as s:
        counts = dict(
            s.execute(
                select(Event.kind, func.count())
                .where(Event.entity == f"desk_request:{req.id}")
                .group_by(Event.kind)
            ).all()
        )
    assert counts["desk_reminded"] == 2 and counts["desk_escalated"] == 1


def test_only_the_scheduler_sweeps(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s, pytest.raises(AccessDenied, match="scheduler"):
        sweep(s, actor=ADMIN, now=BEFORE_FESTIVAL)


def test_a_sweep_after_the_calendar_s_last_year_says_the_calendar_is_out_of_date(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: a sweep in a year the installed holiday calendar does not know counted
    deadlines Monday to Friday without a word (and 'huiqi desk sweep' exited 0)."""
    last = covered_years()[1]
    with transaction(sessions) as s:
        report = sweep(s, actor=SCHEDULER, now=dt.datetime(last + 1, 3, 2, 1, 0))
        current = sweep(s, actor=SCHEDULER, now=dt.datetime(last, 3, 2, 1, 0))
    assert len(report.problems) == 1
    assert f"the holiday calendar installed covers 2004–{last}" in report.problems[0]
    assert "update the chinesecalendar package" in report.problems[0]
    assert current.problems == []


def test_the_heads_escalated_queue_drops_a_request_once_it_is_closed(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: a request escalated and then closed, withdrawn or answered stayed in the
    heads' escalated queue (``huiqi desk list --escalated``, ``GET /api/v1/requests?
    escalated=true``) for ever, as if it still waited for the department."""
    kept, ended = filed(sessions), filed(sessions, text="补贴没到账")
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(16)).escalated == [kept.id, ended.id]
    head = desk_officer(FINANCE_BUREAU, Role.DESK_HEAD)
    with transaction(sessions) as s:
        closing.close(s, actor=head, request_id=ended.id, reason="重复诉求", now=_at(16))
    with sessions() as s:
        assert [r.id for r in list_requests(s, actor=head, escalated=True)] == [kept.id]
        closed = list_requests(s, actor=head, escalated=True, status="closed")
        assert [r.id for r in closed] == [ended.id]  # its history is still there
        assert {r.id for r in list_requests(s, actor=head)} == {kept.id, ended.id}
