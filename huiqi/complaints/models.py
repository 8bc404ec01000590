"""Tables of complaints: complaints, complainants (hashed identities), detection runs,
scores and clusters with their evidence, and officers' review decisions.

No clear identity value is stored: a complainant is its ID number's keyed hash (with a
mask for the reviewer's screen), a complaint carries the keyed hashes and masks of the
phone, address and bank account it gave (:mod:`huiqi.complaints.identity`). Evidence
is JSON text, as detection produced it. Money is integer fen.
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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.db.base import Base
from huiqi.db.clock import utcnow

REVIEW_STATUSES = ("unreviewed", "professional", "not_professional")
DECISIONS = ("professional", "not_professional")


class Complainant(Base):
    """One complainant, known by the keyed hash of the ID number; ``status`` is the latest
    officer's decision (``unreviewed`` until there is one)."""

    __tablename__ = "complainants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(32), unique=True)
    id_masked: Mapped[str] = mapped_column(String(32))
    name_masked: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="unreviewed")
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "status IN ('unreviewed', 'professional', 'not_professional')",
            name="complainant_status",
        ),
    )


class Complaint(Base):
    """A complaint about an enterprise. ``answer_group`` is the ref of the first complaint
    with a near-identical text to the same enterprise: the enterprise answers it once.
    NULL where the complaint answers for itself (alone, or the first of its group; read
    it as ``coalesce(answer_group, ref)``), so that detection writes only the grouped."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    complainant_id: Mapped[int] = mapped_column(ForeignKey("complainants.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    product: Mapped[str | None] = mapped_column(String(200))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    claim_fen: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[dt.date] = mapped_column(Date)
    phone_hash: Mapped[str | None] = mapped_column(String(32))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    address_hash: Mapped[str | None] = mapped_column(String(32))
    address_masked: Mapped[str | None] = mapped_column(String(200))
    bank_hash: Mapped[str | None] = mapped_column(String(32))
    bank_masked: Mapped[str | None] = mapped_column(String(40))
    answer_group: Mapped[str | None] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("claim_fen IS NULL OR claim_fen >= 0", name="claim_not_negative"),
        # An enterprise's complaints, grouped to answer once.
        Index("ix_complaints_uscc_answer_group", "uscc", "answer_group"),
    )


class DetectionRun(Base):
    """One run of the detector over every complaint held, with its thresholds (JSON)."""

    __tablename__ = "complaint_detection_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_by: Mapped[str] = mapped_column(String(64))
    run_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    complaints: Mapped[int] = mapped_column(Integer)
    complainants: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    thresholds: Mapped[str] = mapped_column(Text)


class ComplainantScore(Base):
    """A complainant's score in one run (complainants scoring 0 are not stored), with the
    evidence (JSON) for those at or above the flag score."""

    __tablename__ = "complainant_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("complaint_detection_runs.id"))
    complainant_id: Mapped[int] = mapped_column(ForeignKey("complainants.id"), index=True)
    cluster: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    own_score: Mapped[int] = mapped_column(Integer)
    cluster_score: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("run_id", "complainant_id"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_0_to_100"),
        # The review queue: a run's flagged complainants, highest score first.
        Index("ix_complainant_scores_run_id_flagged_score", "run_id", "flagged", "score"),
    )


class ComplainantCluster(Base):
    """A cluster of identities sharing phones, addresses or bank accounts, in one run."""

    __tablename__ = "complainant_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("complaint_detection_runs.id"))
    number: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("run_id", "number"),)


class ComplainantReview(Base):
    """An officer's decision on a flagged complainant: professional or not, with a reason.
    Every decision is kept (a later one revises the status); each is an audit event."""

    __tablename__ = "complainant_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complainant_id: Mapped[int] = mapped_column(ForeignKey("complainants.id"), index=True)
    score_id: Mapped[int | None] = mapped_column(ForeignKey("complainant_scores.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("decision IN ('professional', 'not_professional')", name="review_decision"),
    )
