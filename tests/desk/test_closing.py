"""A request ends unanswered: the enterprise withdraws it, or its department closes it with
a reason; neither is reminded nor escalated, and the figures count them sensibly."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from desk_helpers import BEFORE_FESTIVAL, FINANCE_BUREAU, SCIENCE, A, B, desk_officer, filed
from desk_helpers import enterprise as ent
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import ADMIN, SCHEDULER
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event, Notification
from huiqi.desk.closing import close, withdraw
from huiqi.desk.errors import DeskConflict, DeskError
from huiqi.desk.handling import acknowledge, reply
from huiqi.desk.queries import get_request, list_requests
from huiqi.desk.rating import rate
from huiqi.desk.stats import desk_stats
from huiqi.desk.sweep import sweep

OFFICER = desk_officer(FINANCE_BUREAU)


def _at(day: int, month: int = 2) -> dt.datetime:
    return dt.datetime(2026, month, day, 1, 0)  # 09:00 in Shanghai


def _events(factory: sessionmaker[Session], request_id: int) -> list[tuple[str, str, str]]:
    with factory() as s:
        rows = s.execute(
            select(Event.kind, Event.actor, Event.reason)
            .where(Event.entity == f"desk_request:{request_id}")
            .order_by(Event.id)
        ).all()
    return [(k, a, r) for k, a, r in rows]


def test_the_enterprise_withdraws_its_request_once_and_is_told(
    sessions: sessionmaker[Session],
) -> None:
    req = filed(sessions)
    with transaction(sessions) as s:
        row = withdraw(s, actor=ent(A), request_id=req.id, reason=" 已自行解决 ", now=_at(13))
        again = withdraw(s, actor=ent(A), request_id=req.id, now=_at(14))
    assert (row.status, row.closed_at) == ("withdrawn", _at(13))
    assert [st.kind for st in row.steps] == ["filed", "withdrawn"]
    assert row.steps[-1].text == "已自行解决"
    assert again == row  # withdrawing again changes nothing
    assert _events(sessions, req.id)[-1] == ("desk_withdrawn", f"u-{A}", "已自行解决")
    with sessions() as s:
        subjects = s.scalars(select(Notification.subject).where(Notification.uscc == A)).all()
    assert f"您的诉求（编号 {req.id}）已撤回" in subjects


def test_an_officer_closes_an_unanswered_request_with_a_reason(
    sessions: sessionmaker[Session],
) -> None:
    req = filed(sessions)
    with transaction(sessions) as s:
        acknowledge(s, actor=OFFICER, request_id=req.id, now=_at(13))
        with pytest.raises(DeskError, match="the reason"):
            close(s, actor=OFFICER, request_id=req.id, reason="  ")
    with transaction(sessions) as s:
        row = close(s, actor=OFFICER, request_id=req.id, reason="重复诉求，见 1 号", now=_at(16))
    assert row.status == "closed" and row.answered_on_time is True
    assert row.steps[-1].kind == "dept_closed" and row.steps[-1].text == "重复诉求，见 1 号"
    assert _events(sessions, req.id)[-1] == (
        "desk_dept_closed",
        OFFICER.username,
        "重复诉求，见 1 号",
    )
    with transaction(sessions) as s, pytest.raises(DeskConflict, match="closed already"):
        close(s, actor=OFFICER, request_id=req.id, reason="again")
    with transaction(sessions) as s, pytest.raises(DeskConflict, match="no answer to rate"):
        rate(s, actor=ent(A), request_id=req.id, stars=5)


def test_a_withdrawn_request_reads_withdrawn_and_one_closed_by_its_department_closed(
    sessions: sessionmaker[Session],
) -> None:
    """Both are stored as closed, and both read "closed" (已办结) to the enterprise that
    withdrew its request, to the officers and in the API: as if the department had
    handled it."""
    gone, done, rated = filed(sessions), filed(sessions), filed(sessions)
    with transaction(sessions) as s:
        withdraw(s, actor=ent(A), request_id=gone.id, now=_at(13))
        close(s, actor=OFFICER, request_id=done.id, reason="重复诉求", now=_at(13))
        reply(s, actor=OFFICER, request_id=rated.id, text="已到账", now=_at(13))
        rate(s, actor=ent(A), request_id=rated.id, stars=5)
    for who in (ent(A), OFFICER):
        with sessions() as s:
            assert get_request(s, actor=who, request_id=gone.id).status == "withdrawn"
            assert get_request(s, actor=who, request_id=done.id).status == "closed"
            listed = {r.id: r.status for r in list_requests(s, actor=who)}
            assert [listed[r.id] for r in (gone, done, rated)] == ["withdrawn", "closed", "closed"]
            assert [r.id for r in list_requests(s, actor=who, status="withdrawn")] == [gone.id]
            closed = list_requests(s, actor=who, statuses=("closed",))
            assert [r.id for r in closed] == [done.id, rated.id]
            both = list_requests(s, actor=who, statuses=("closed", "withdrawn"))
            assert len(both) == 3
    with sessions() as s, pytest.raises(DeskError, match="reopened, closed, withdrawn, not 'x'"):
        list_requests(s, actor=OFFICER, status="x")


def test_a_step_on_a_withdrawn_request_is_refused_as_withdrawn_not_closed(
    sessions: sessionmaker[Session],
) -> None:
    """An officer acting on a request the enterprise withdrew read "request 5 is closed
    already" (or "is closed: it can be answered…"), and the enterprise rating it "closed
    without an answer (withdrawn, or closed by its department…)": neither said who ended it."""
    gone, done = filed(sessions), filed(sessions)
    with transaction(sessions) as s:
        withdraw(s, actor=ent(A), request_id=gone.id, now=_at(13))
        close(s, actor=OFFICER, request_id=done.id, reason="重复诉求", now=_at(13))
    refusals = {
        "close": lambda s: close(s, actor=OFFICER, request_id=gone.id, reason="重复"),
        "acknowledge": lambda s: acknowledge(s, actor=OFFICER, request_id=gone.id),
        "reply": lambda s: reply(s, actor=OFFICER, request_id=gone.id, text="已办"),
        "rate": lambda s: rate(s, actor=ent(A), request_id=gone.id, stars=5),
        "rate closed": lambda s: rate(s, actor=ent(A), request_id=done.id, stars=5),
    }
    said = {}
    for name, act in refusals.items():
        with transaction(sessions) as s, pytest.raises(DeskConflict) as refused:
            act(s)
        said[name] = str(refused.value)
    assert said == {
        "close": f"request {gone.id} was withdrawn by the enterprise already",
        "acknowledge": f"request {gone.id} is withdrawn: it can be acknowledged when it is open",
        "reply": f"request {gone.id} is withdrawn: it can be answered when it is open or"
        " acknowledged or reopened",
        "rate": f"request {gone.id} was withdrawn: there is no answer to rate; file a new"
        " request if the problem remains",
        "rate closed": f"request {done.id} was closed by its department with a reason: there"
        " is no answer to rate; file a new request if the problem remains",
    }


def test_an_answered_request_is_neither_withdrawn_nor_closed(
    sessions: sessionmaker[Session],
) -> None:
    req = filed(sessions)
    with transaction(sessions) as s:
        reply(s, actor=OFFICER, request_id=req.id, text="已到账", now=_at(13))
    with transaction(sessions) as s, pytest.raises(DeskConflict, match="is answered: it can be"):
        withdraw(s, actor=ent(A), request_id=req.id)
    with transaction(sessions) as s, pytest.raises(DeskConflict, match="is answered: it can be"):
        close(s, actor=OFFICER, request_id=req.id, reason="重复")


@pytest.mark.parametrize(
    ("who", "step"),
    [
        (ent(B), "withdraw"),
        (OFFICER, "withdraw"),
        (ADMIN, "withdraw"),
        (ent(A), "close"),
        (desk_officer(SCIENCE), "close"),
        (ADMIN, "close"),
    ],
)
def test_only_the_enterprise_withdraws_and_only_its_department_closes(
    sessions: sessionmaker[Session], who, step: str
) -> None:  # type: ignore[no-untyped-def]
    req = filed(sessions)
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        if step == "withdraw":
            withdraw(s, actor=who, request_id=req.id)
        else:
            close(s, actor=who, request_id=req.id, reason="重复")


def test_a_desk_head_closes_too(sessions: sessionmaker[Session]) -> None:
    req = filed(sessions)
    with transaction(sessions) as s:
        head = desk_officer(FINANCE_BUREAU, Role.DESK_HEAD)
        assert close(s, actor=head, request_id=req.id, reason="电话已解决").status == "closed"


def test_closed_requests_are_not_reminded_or_escalated(sessions: sessionmaker[Session]) -> None:
    withdrawn, closed = filed(sessions), filed(sessions, text="另一件事")
    with transaction(sessions) as s:
        withdraw(s, actor=ent(A), request_id=withdrawn.id, now=BEFORE_FESTIVAL)
        close(s, actor=OFFICER, request_id=closed.id, reason="电话已解决", now=BEFORE_FESTIVAL)
    with transaction(sessions) as s:
        assert sweep(s, actor=SCHEDULER, now=_at(13)).reminded == []
        late = sweep(s, actor=SCHEDULER, now=_at(2, 3))
    assert (late.reminded, late.escalated) == ([], [])


def test_figures_leave_withdrawn_out_and_count_a_late_closing_as_late(
    sessions: sessionmaker[Session],
) -> None:
    withdrawn, closed, late = (filed(sessions, text=f"第 {n} 件") for n in range(3))
    with transaction(sessions) as s:
        withdraw(s, actor=ent(A), request_id=withdrawn.id, now=_at(2, 3))
        close(s, actor=OFFICER, request_id=closed.id, reason="重复", now=_at(16))
        close(s, actor=OFFICER, request_id=late.id, reason="电话已解决", now=_at(2, 3))
    with sessions() as s:
        figures = desk_stats(s, actor=OFFICER)
    assert (figures.requests, figures.answered, figures.on_time) == (3, 2, 1)
    assert figures.by_department[0].open == 0


def test_a_withdrawal_racing_an_answer_leaves_one_of_them(
    sessions: sessionmaker[Session],
) -> None:
    """Both lock the request: either it is answered and the withdrawal refused, or it is
    withdrawn and the answer refused; never an answered request marked withdrawn."""
    req = filed(sessions)
    gate = threading.Barrier(2)
    refused: list[str] = []

    def run(name: str, work: Callable[[Session], object]) -> None:
        gate.wait()
        try:
            with transaction(sessions) as s:
                work(s)
        except DeskConflict:
            refused.append(name)

    threads = [
        threading.Thread(
            target=run,
            args=("withdraw", lambda s: withdraw(s, actor=ent(A), request_id=req.id)),
        ),
        threading.Thread(
            target=run,
            args=("reply", lambda s: reply(s, actor=OFFICER, request_id=req.id, text="已办")),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 1, refused
    with sessions() as s:
        row = get_request(s, actor=OFFICER, request_id=req.id)
    kinds = [st.kind for st in row.steps]
    if refused == ["reply"]:
        assert row.status == "withdrawn" and "replied" not in kinds
    else:
        assert row.status == "answered" and "withdrawn" not in kinds
