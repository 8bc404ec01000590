"""The scheduler's sweep (``huiqi desk sweep``): remind a department before a deadline,
escalate to its head when one has passed.

A request waiting to be acknowledged is measured against ``ack_due``; one acknowledged
(or reopened) against ``answer_due``. When the working days left are at most the
category's ``remind_days``, the department is reminded once per deadline; when the day in
China is past the deadline, the request is escalated once per round (its head's queue
shows it: ``huiqi desk list --escalated``). Each mark is set by a conditional UPDATE, so
two sweeps at the same time remind and escalate once; each is a history step, an
audit event (``desk_reminded``, ``desk_escalated``) and a message in the console inbox of
each desk officer (a reminder; the department's own desk head too when it has no desk
officer of its own) or desk head (an escalation) of the department
(:mod:`huiqi.desk.inbox`).

What the working-day calendar cannot answer is a problem in the report (a deadline
before the calendar's first year; a sweep in a year after its last, the package out of
date), and ``huiqi desk sweep`` exits 4 saying each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.db.clock import utcnow
from huiqi.desk import workdays
from huiqi.desk.handling import step
from huiqi.desk.inbox import notify_officers
from huiqi.desk.models import DeskCategory, DeskRequest
from huiqi.desk.workdays import CalendarRangeError, china_date, working_days_between

WAITING = ("open", "acknowledged", "reopened")


@dataclass
class SweepReport:
    today: dt.date
    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    messages: int = 0  # written to officers' inboxes


def _mark(session: Session, req: DeskRequest, column: str, at: dt.datetime) -> bool:
    done = session.execute(
        update(DeskRequest)
        .where(DeskRequest.id == req.id, getattr(DeskRequest, column).is_(None))
        .values({column: at})
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


def sweep(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> SweepReport:
    """Remind and escalate what is due; return what was done."""
    require_role(actor, "sweep the requests desk", Role.SCHEDULER)
    at = now or utcnow()
    today = china_date(at)
    report = SweepReport(today)
    if workdays.is_provisional(today):
        first, last = workdays.covered_years()
        report.problems.append(
            f"the holiday calendar installed covers {first}–{last}, not {today.year}: this"
            " year's working days are counted Monday to Friday, without the State Council's"
            " holidays and make-up days, so reminders and escalations may come on the wrong"
            " day; update the chinesecalendar package (pip install -U chinesecalendar)"
            " and sweep again"
        )
    lead = dict(session.execute(select(DeskCategory.code, DeskCategory.remind_days)).all())
    waiting = session.scalars(
        select(DeskRequest).where(DeskRequest.status.in_(WAITING)).order_by(DeskRequest.id)
    ).all()
    for req in waiting:
        acking = req.status == "open"
        due = req.ack_due if acking else req.answer_due
        if today > due:
            if req.escalated_at is None and _mark(session, req, "escalated_at", at):
                late = "acknowledge" if acking else "answer"
                step(
                    session,
                    req,
                    "escalated",
                    actor.username,
                    None,
                    at,
                    {"late_to": late, "due": due.isoformat()},
                )
                report.messages += notify_officers(
                    session, req, kind="escalation", task=late, due=due, at=at
                )
                report.escalated.append(req.id)
            continue
        column = "ack_reminded_at" if acking else "answer_reminded_at"
        if getattr(req, column) is not None:
            continue
        try:
            left = working_days_between(today, due)
        except CalendarRangeError as exc:
            report.problems.append(f"request {req.id}: {exc.message}")
            continue
        if left <= lead.get(req.category, 1) and _mark(session, req, column, at):
            step(
                session,
                req,
                "reminded",
                actor.username,
                None,
                at,
                {
                    "due": due.isoformat(),
                    "working_days_left": left,
                    "for": "acknowledge" if acking else "answer",
                },
            )
            task = "acknowledge" if acking else "answer"
            report.messages += notify_officers(
                session, req, kind="reminder", task=task, due=due, at=at
            )
            report.reminded.append(req.id)
    session.flush()
    return report
