"""What the desk's service functions return: plain rows, never ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from huiqi.desk.models import DeskRequest
from huiqi.desk.workdays import china_date


@dataclass(frozen=True)
class StepRow:
    kind: str
    actor: str
    text: str | None
    at: dt.datetime
    stars: int | None = None  # a "rated" step's rating


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


# The status a withdrawn request reads as. It is stored as ``closed`` (it waits for
# nothing, as one its department closed), and its ``withdrawn`` step tells the two apart:
# the enterprise that withdrew it read "Closed" (已办结), as if the department had handled it.
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class RequestRow:
    """A request as its readers see it: ``status`` is the stored one, except that a request
    the enterprise withdrew reads ``withdrawn`` rather than ``closed``."""

    id: int
    uscc: str
    category: str
    text: str
    policy_id: str | None
    grant_id: int | None
    department: str
    status: str
    channel: str
    hotline_id: str | None
    filed_by: str
    filed_at: dt.datetime
    filed_on: dt.date
    ack_due: dt.date
    answer_due: dt.date
    acknowledged_at: dt.datetime | None
    answered_at: dt.datetime | None
    answered_on_time: bool | None
    reply: str | None
    reopened: int
    closed_at: dt.datetime | None
    escalated: bool
    stars: int | None = None  # the latest rating
    steps: tuple[StepRow, ...] = field(default=())
    attachments: tuple[AttachmentRow, ...] = field(default=())

    def overdue(self, today: dt.date) -> bool:
        """Whether a deadline of the step the request waits for has passed (China's date)."""
        if self.status == "open":
            return today > self.ack_due
        if self.status in ("acknowledged", "reopened"):
            return today > self.answer_due
        return False


def request_row(
    r: DeskRequest,
    *,
    stars: int | None = None,
    steps: tuple[StepRow, ...] = (),
    attachments: tuple[AttachmentRow, ...] = (),
    withdrawn: bool = False,
) -> RequestRow:
    """``withdrawn``: the request has a ``withdrawn`` step (the enterprise ended it)."""
    return RequestRow(
        id=r.id,
        uscc=r.uscc,
        category=r.category,
        text=r.text,
        policy_id=r.policy_id,
        grant_id=r.grant_id,
        department=r.department,
        status=WITHDRAWN if withdrawn and r.status == "closed" else r.status,
        channel=r.channel,
        hotline_id=r.hotline_id,
        filed_by=r.filed_by,
        filed_at=r.filed_at,
        filed_on=r.filed_on or china_date(r.filed_at),
        ack_due=r.ack_due,
        answer_due=r.answer_due,
        acknowledged_at=r.acknowledged_at,
        answered_at=r.answered_at,
        answered_on_time=r.answered_on_time,
        reply=r.reply,
        reopened=r.reopened,
        closed_at=r.closed_at,
        escalated=r.escalated_at is not None,
        stars=stars,
        steps=steps,
        attachments=attachments,
    )
