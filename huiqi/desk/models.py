"""Tables of the requests desk (诉求): requests, their steps, transfers, ratings and
attachments, and the admin-edited categories (deadlines in working days) and routing rules.

A request belongs to one enterprise and is owned by one department at a time. Its
deadlines are dates in China (Asia/Shanghai): acknowledged by ``ack_due``, answered by
``answer_due`` (both inclusive), computed in working days from the official calendar
(:mod:`huiqi.desk.workdays`). The reminder and escalation columns are set once each, by a
conditional UPDATE, so two sweeps at the same time remind and escalate once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.db.base import Base
from huiqi.db.clock import utcnow

STATUSES = ("open", "acknowledged", "answered", "reopened", "closed")
STEP_KINDS = (
    "filed",
    "acknowledged",
    "replied",
    "transferred",
    "rated",
    "reopened",
    "closed",
    "withdrawn",  # the enterprise withdrew it unanswered (huiqi.desk.closing)
    "dept_closed",  # its department closed it unanswered, with a reason
    "reminded",
    "escalated",
)


class DeskCategory(Base):
    """A kind of request, its default department and its deadlines in working days."""

    __tablename__ = "desk_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(200))  # when no routing rule matches
    ack_days: Mapped[int] = mapped_column(Integer)
    answer_days: Mapped[int] = mapped_column(Integer)
    remind_days: Mapped[int] = mapped_column(Integer, default=1)  # working days before

    __table_args__ = (
        CheckConstraint(
            "ack_days >= 0 AND answer_days >= ack_days AND remind_days >= 0",
            name="deadlines_ordered",
        ),
    )


class DeskRoute(Base):
    """A routing rule: requests of ``category`` (any when NULL) whose text contains one of
    ``keywords`` (space-separated words, any text when empty) go to ``department``. The
    rule with the lowest ``priority`` (then id) that matches wins."""

    __tablename__ = "desk_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    category: Mapped[str | None] = mapped_column(String(32))
    keywords: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeskRequest(Base):
    """An enterprise's request (诉求), filed in the portal or imported from the 12345 hotline."""

    __tablename__ = "desk_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    policy_id: Mapped[str | None] = mapped_column(String(120))
    grant_id: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(200))
    route_id: Mapped[int | None] = mapped_column(Integer)  # the rule that routed it, if any
    status: Mapped[str] = mapped_column(String(16), default="open")
    channel: Mapped[str] = mapped_column(String(16), default="portal")  # portal | hotline
    hotline_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    filed_by: Mapped[str] = mapped_column(String(64))
    # The one-time key of the form or API call that filed it: a repeated submission with
    # the same key by the same account finds this request instead of filing another.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    filed_on: Mapped[dt.date] = mapped_column(Date)  # the day in China
    ack_due: Mapped[dt.date] = mapped_column(Date)
    answer_due: Mapped[dt.date] = mapped_column(Date)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean)
    reply: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ack_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answer_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'acknowledged', 'answered', 'reopened', 'closed')",
            name="desk_status",
        ),
        CheckConstraint("reopened IN (0, 1)", name="reopened_once"),
        # A department's queue: its unfinished requests in id order.
        Index("ix_desk_requests_department_status_id", "department", "status", "id"),
        # A unique index, not a constraint: SQLite adds one to a filled table without
        # copying it (migration 0021). Rows without a key (hotline, older) never collide.
        Index("uq_desk_requests_once", "filed_by", "idempotency_key", unique=True),
    )


class DeskStep(Base):
    """One step of a request's history, as the enterprise and the officers read it."""

    __tablename__ = "desk_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeskTransfer(Base):
    """A request moved from one department to another, with the reason."""

    __tablename__ = "desk_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id"), index=True)
    from_department: Mapped[str] = mapped_column(String(200))
    to_department: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    transferred_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeskRating(Base):
    """The enterprise's rating of an answer: once per answer (``round`` 0, and 1 after the
    one reopening), which the unique constraint enforces."""

    __tablename__ = "desk_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id"))
    round: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("request_id", "round"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="desk_stars_1_to_5"),
    )


class DeskAttachment(Base):
    """A file filed with a request (type sniffed, safe name, SHA-256, content kept)."""

    __tablename__ = "desk_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("size > 0", name="desk_not_empty"),)


class OfficerMessage(Base):
    """A message in one officer's console inbox from the sweep: a request nearing its
    deadline (to the owning department's desk officers) or past it (to its desk heads).
    One per officer, request, kind and deadline (the unique key), however often the sweep
    runs. Only facts are stored; the console words them in the reader's language."""

    __tablename__ = "officer_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # reminder | escalation
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id"), index=True)
    department: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(16))  # acknowledge | answer
    due: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "request_id", "kind", "due"),
        CheckConstraint("kind IN ('reminder', 'escalation')", name="officer_message_kind"),
        CheckConstraint("task IN ('acknowledge', 'answer')", name="officer_message_task"),
        # An officer's inbox, newest first.
        Index("ix_officer_messages_user_id_id", "user_id", "id"),
    )
