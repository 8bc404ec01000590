"""What an enterprise tells the ledger back: its ratings of grants and decisions, and its
requests to correct a value huiqi holds about it (:mod:`huiqi.delivery.ratings`,
:mod:`huiqi.delivery.corrections`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.db.base import Base
from huiqi.db.clock import utcnow


class Rating(Base):
    """An enterprise's rating (1–5 and a comment) of one grant or one decision on its record.

    One per grant and one per decided record, per enterprise: the unique constraints make
    a second rating of the same thing fail in the database, whatever the caller does.
    """

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"))
    entitlement_id: Mapped[int | None] = mapped_column(ForeignKey("entitlements.id"))
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("grant_id", "uscc"),
        UniqueConstraint("entitlement_id", "uscc"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_1_to_5"),
        CheckConstraint("(grant_id IS NULL) <> (entitlement_id IS NULL)", name="rates_one_thing"),
    )


class CorrectionRequest(Base):
    """An enterprise reports a value huiqi holds about it as wrong; the owning registry
    (the field's source in the dictionary) accepts or rejects it with a reason."""

    __tablename__ = "correction_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    field: Mapped[str] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(64))  # the owning registry (dictionary source)
    held_value: Mapped[str | None] = mapped_column(Text)  # as huiqi held it (JSON text)
    proposed_value: Mapped[str] = mapped_column(Text)  # what the enterprise says is right
    comment: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted', 'rejected')", name="correction_status"),
        # The owning registry's queue: open requests in id order.
        Index("ix_correction_requests_source_status_id", "source", "status", "id"),
    )
