"""The officers' inbox: the sweep tells each desk officer of the department about a near
deadline and each desk head about a passed one, once each however often it runs; an
officer reads and marks read only their own messages (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from desk_helpers import FINANCE_BUREAU, SCIENCE, A, enterprise, filed, science_rule
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import service as accounts
from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import RoleGrant
from huiqi.accounts.testing import ADMIN, OFFICER, SCHEDULER
from huiqi.db.engine import transaction
from huiqi.desk import closing
from huiqi.desk.handling import acknowledge, reply, transfer
from huiqi.desk.inbox import mark_read, officer_inbox, unread_count
from huiqi.desk.models import OfficerMessage
from huiqi.desk.sweep import sweep
from huiqi.errors import NotFoundError

STAFF = {
    "fin-officer": [f"desk_officer=department:{FINANCE_BUREAU}"],
    "fin-officer-2": [f"desk_officer=department:{FINANCE_BUREAU}"],
    "fin-head": [f"desk_head=department:{FINANCE_BUREAU}"],
    "every-officer": ["desk_officer=*"],
    "sci-officer": [f"desk_officer=department:{SCIENCE}"],
    "sci-head": [f"desk_head=department:{SCIENCE}"],
    "gone-officer": [f"desk_officer=department:{FINANCE_BUREAU}"],
}


def _at(day: int, month: int = 2) -> dt.datetime:
    return dt.datetime(2026, month, day, 1, 0)  # 09:00 in Shanghai


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> dict[str, Actor]:
    with transaction(sessions) as s:
        for name, roles in STAFF.items():
            accounts.add_user(
                s, actor=ADMIN, username=name, roles=[RoleGrant.parse(r) for r in roles]
            )
        accounts.set_disabled(s, actor=ADMIN, username="gone-officer")
        return {name: accounts.actor_of(accounts.find_user(s, name)) for name in STAFF}


def inbox(factory: sessionmaker[Session], actor: Actor) -> list[tuple[str, int, str, str]]:
    with factory() as s:
        rows = officer_inbox(s, actor=actor)
    return [(m.kind, m.request_id, m.task, m.due.isoformat()) for m in rows]


def test_the_sweep_tells_officers_then_heads_once_each(
    sessions: sessionmaker[Session], staff: dict[str, Actor]
) -> None:
    req = filed(sessions)  # funding → 市财政局: ack by Sat 14 Feb
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(13)).messages == 3
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(13)).messages == 0  # twice: nothing more
    reminder = [("reminder", req.id, "acknowledge", "2026-02-14")]
    for name in ("fin-officer", "fin-officer-2", "every-officer"):
        assert inbox(sessions, staff[name]) == reminder, name
    for name in ("fin-head", "sci-officer", "sci-head", "gone-officer"):
        assert inbox(sessions, staff[name]) == [], name
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(16)).messages == 1  # past the 14th: escalated
        assert sweep(s, actor=SCHEDULER, now=_at(17)).messages == 0
    assert inbox(sessions, staff["fin-head"]) == [
        ("escalation", req.id, "acknowledge", "2026-02-14")
    ]
    assert (
        inbox(sessions, staff["sci-head"]) == []
        and inbox(sessions, staff["fin-officer"]) == reminder
    )
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(OfficerMessage)) == 4


def test_an_officer_marks_only_their_own_messages_read(
    sessions: sessionmaker[Session], staff: dict[str, Actor]
) -> None:
    filed(sessions)
    with transaction(sessions) as s:
        sweep(s, actor=SCHEDULER, now=_at(13))
    officer, other = staff["fin-officer"], staff["fin-officer-2"]
    with sessions() as s:
        (message,) = officer_inbox(s, actor=officer)
        assert unread_count(s, actor=officer) == 1 and message.read_at is None
    with transaction(sessions) as s:
        first = mark_read(s, actor=officer, message_id=message.id, now=_at(13))
    with transaction(sessions) as s:
        again = mark_read(s, actor=officer, message_id=message.id, now=_at(20))
        assert first.read_at == again.read_at == _at(13)
        with pytest.raises(NotFoundError, match="in your inbox"):
            mark_read(s, actor=staff["sci-officer"], message_id=message.id)
    with sessions() as s:
        assert unread_count(s, actor=officer) == 0 and unread_count(s, actor=other) == 1
        assert officer_inbox(s, actor=officer, unread_only=True) == []
        assert unread_count(s, actor=OFFICER) == 0  # no desk role: no inbox, no error
        with pytest.raises(AccessDenied, match="desk_officer"):
            officer_inbox(s, actor=OFFICER)
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        mark_read(s, actor=ADMIN, message_id=message.id)


def test_a_transferred_request_reminds_and_escalates_its_new_department(
    sessions: sessionmaker[Session], staff: dict[str, Actor]
) -> None:
    """Regression: the reminder and escalation marks stayed set when a request moved to
    another department, so the department that now owed the answer was never reminded of
    the deadline, and its head never heard that it had passed."""
    science_rule(sessions)  # makes 市科委 a department of the desk
    req = filed(sessions)  # funding → 市财政局: ack by Sat 14 Feb
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(13)).reminded == [req.id]
        transfer(
            s,
            actor=staff["fin-officer"],
            request_id=req.id,
            department=SCIENCE,
            reason="属科技政策",
            now=_at(13),
        )
        assert sweep(s, actor=SCHEDULER, now=_at(13)).reminded == [req.id]
    reminder = [("reminder", req.id, "acknowledge", "2026-02-14")]
    assert inbox(sessions, staff["sci-officer"]) == reminder
    assert inbox(sessions, staff["every-officer"]) == reminder  # told once, not twice
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(16)).escalated == [req.id]
        transfer(
            s,
            actor=staff["sci-head"],
            request_id=req.id,
            department=FINANCE_BUREAU,
            reason="属资金拨付",
            now=_at(16),
        )
    escalation = [("escalation", req.id, "acknowledge", "2026-02-14")]
    assert inbox(sessions, staff["sci-head"]) == escalation
    # The escalated request came back overdue: the finance head is told at once.
    assert inbox(sessions, staff["fin-head"]) == escalation


@pytest.mark.parametrize("ending", ["withdraw", "close", "reply", "acknowledge"])
def test_a_request_that_no_longer_waits_leaves_no_unread_reminder(
    sessions: sessionmaker[Session], staff: dict[str, Actor], ending: str
) -> None:
    """Regression: a desk officer's reminder (and a head's escalation) stayed unread after
    the request was withdrawn, closed or answered, so officers kept being told about
    requests that waited for nothing."""
    req = filed(sessions)  # funding → 市财政局: ack by Sat 14 Feb
    with transaction(sessions) as s:
        sweep(s, actor=SCHEDULER, now=_at(13))
        sweep(s, actor=SCHEDULER, now=_at(16))  # past the 14th: escalated to the head
    officer, head = staff["fin-officer"], staff["fin-head"]
    with sessions() as s:
        assert unread_count(s, actor=officer) == unread_count(s, actor=head) == 1
    with transaction(sessions) as s:
        if ending == "withdraw":
            closing.withdraw(s, actor=enterprise(A), request_id=req.id, now=_at(16))
        elif ending == "close":
            closing.close(s, actor=officer, request_id=req.id, reason="重复", now=_at(16))
        elif ending == "reply":
            reply(s, actor=officer, request_id=req.id, text="已拨付", now=_at(16))
        else:
            acknowledge(s, actor=officer, request_id=req.id, now=_at(16))
    with sessions() as s:
        for who in (officer, head, staff["every-officer"]):
            assert unread_count(s, actor=who) == 0, who.username
            assert officer_inbox(s, actor=who, unread_only=True) == [], who.username
            (message,) = officer_inbox(s, actor=who)
            assert message.done and message.read_at is None
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(17)).messages == 0
        if ending == "acknowledge":  # now the answer is awaited: reminded of that
            assert sweep(s, actor=SCHEDULER, now=_at(27)).reminded == [req.id]
            (live, _) = officer_inbox(s, actor=officer)
            assert (live.task, live.done) == ("answer", False)
            assert unread_count(s, actor=officer) == 1


def test_a_department_its_head_alone_handles_is_reminded_through_the_head(
    sessions: sessionmaker[Session],
) -> None:
    """Regression (qa9): reminders went to desk officers only, so in a department that its
    own desk head handles alone (no desk officer scoped to it) nobody heard of a near
    deadline; only the escalation after it arrived. Its head is reminded now; a head whose
    department has its own desk officers, and a head of every department, are not."""
    with transaction(sessions) as s:
        for name, role in (
            ("fin-officer", f"desk_officer=department:{FINANCE_BUREAU}"),
            ("fin-head", f"desk_head=department:{FINANCE_BUREAU}"),
            ("sci-head", f"desk_head=department:{SCIENCE}"),
            ("every-officer", "desk_officer=*"),
            ("every-head", "desk_head=*"),
        ):
            accounts.add_user(s, actor=ADMIN, username=name, roles=[RoleGrant.parse(role)])
        staff = {
            n: accounts.actor_of(accounts.find_user(s, n))
            for n in ("fin-officer", "fin-head", "sci-head", "every-officer", "every-head")
        }
    science_rule(sessions)
    req = filed(sessions, text="研发费用加计扣除咨询")  # → 市科委: ack by Sat 14 Feb
    assert req.department == SCIENCE
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(13)).reminded == [req.id]
    reminder = [("reminder", req.id, "acknowledge", "2026-02-14")]
    assert inbox(sessions, staff["sci-head"]) == reminder
    assert inbox(sessions, staff["every-officer"]) == reminder
    for name in ("fin-officer", "fin-head", "every-head"):
        assert inbox(sessions, staff[name]) == [], name
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(16)).escalated == [req.id]
    escalation = [("escalation", req.id, "acknowledge", "2026-02-14")]
    assert inbox(sessions, staff["sci-head"]) == escalation + reminder  # newest first
    assert inbox(sessions, staff["every-head"]) == escalation
