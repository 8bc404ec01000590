"""Tables of the operational database: published policies, delivery records, grants,
applications and their attachments, notifications, disbursement batches, users and the audit log
(ratings and correction requests: :mod:`huiqi.delivery.feedback_models`; the dashboards'
counters: :mod:`huiqi.delivery.count_models`).

Money is integer fen everywhere (BIGINT). "Exactly once" is a database fact:
unique constraints on (policy version, enterprise, benefit period) for delivery
records and grants, on (group, enterprise, period) for exclusivity, and on the
grant's one live item in disbursement batches (paid, or not yet settled).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.db.base import Base
from huiqi.db.clock import utcnow
from huiqi.delivery import (
    count_models,  # noqa: F401 - maps the dashboards' counters
    feedback_models,  # noqa: F401 - maps the ratings and corrections
    tables,
)
from huiqi.delivery.statuses import NotificationStatus


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for executemany inserts (one cached statement)."""
    return cast(Table, model.__table__)


class PolicyVersion(Base):
    """A policy version as published: frozen text and hash, and its running budget."""

    __table__ = tables.policy_versions

    id: Mapped[int]
    policy_id: Mapped[str]
    version: Mapped[int]
    content_hash: Mapped[str]
    source_yaml: Mapped[str]
    title_zh: Mapped[str]
    delivery: Mapped[str]
    level: Mapped[str]
    region: Mapped[str]
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]
    benefit_period: Mapped[str]
    budget_fen: Mapped[int | None]
    budget_mode: Mapped[str]
    committed_fen: Mapped[int]
    per_enterprise_cap_fen: Mapped[int | None]
    cap_group: Mapped[str | None]
    exclusivity_group: Mapped[str | None]
    department: Mapped[str | None]
    status: Mapped[str]
    published_at: Mapped[dt.datetime]
    published_by: Mapped[str]


class DeliveryRun(Base):
    """One matching of one published version against one data snapshot."""

    __tablename__ = "delivery_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    snapshot_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    new_records: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)


class Entitlement(Base):
    """A delivery record: what one enterprise is offered or given under one version.

    status: granted | offered | claimed | expired | application_open | submitted |
    approved | rejected | excluded | budget_exhausted | capped | pending_allocation |
    withdrawn | zero_amount
    """

    __table__ = tables.entitlements

    id: Mapped[int]
    policy_version_id: Mapped[int]
    uscc: Mapped[str]
    benefit_period: Mapped[str]
    mode: Mapped[str]
    match_status: Mapped[str]
    status: Mapped[str]
    computed_fen: Mapped[int | None]
    snapshot_id: Mapped[int]
    last_snapshot_id: Mapped[int]
    explanation: Mapped[dict[str, Any]]
    expires_on: Mapped[dt.date | None]
    review_flag: Mapped[bool]
    review_reason: Mapped[str | None]
    review_criteria: Mapped[dict[str, Any] | None]
    status_reason: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Grant(Base):
    """Money granted: at most one per (policy version, enterprise, benefit period), and one
    live grant per (policy, enterprise, benefit period) whatever the version."""

    __table__ = tables.grants

    id: Mapped[int]
    entitlement_id: Mapped[int]
    policy_version_id: Mapped[int]
    policy_id: Mapped[str]
    uscc: Mapped[str]
    benefit_period: Mapped[str]
    requested_fen: Mapped[int]
    amount_fen: Mapped[int]
    status: Mapped[str]
    snapshot_id: Mapped[int]
    content_hash: Mapped[str]
    explanation: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]
    corrects_grant_id: Mapped[int | None]


class ExclusivitySlot(Base):
    """就高不重复: one benefit per (exclusivity group, enterprise, period)."""

    __tablename__ = "exclusivity_slots"

    group_name: Mapped[str] = mapped_column(String(120), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    benefit_period: Mapped[str] = mapped_column(String(32), primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("entitlements.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class CapUsage(Base):
    """What one enterprise has received under one cap group in one period."""

    __tablename__ = "cap_usage"

    cap_group: Mapped[str] = mapped_column(String(120), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    benefit_period: Mapped[str] = mapped_column(String(32), primary_key=True)
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    used_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("used_fen <= cap_fen", name="cap_not_exceeded"),)


class Application(Base):
    """A pre-filled application (申报) and its review."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("entitlements.id"), unique=True)
    prefilled: Mapped[dict[str, Any]] = mapped_column(JSON)
    attested: Mapped[list[str] | None] = mapped_column(JSON)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


# The outbox rows a sender may still claim. The same text is the partial index's
# predicate and a term of the sender's query, so both databases use the index and a
# poll reads only unsent rows, however many were sent before.
UNSENT = f"status IN ('{NotificationStatus.PENDING}', '{NotificationStatus.SENDING}')"
# An enterprise's inbox rows: every query by USCC reads the inbox (each message has its
# inbox row), so rows of external channels are not in the USCC index (migration 0014).
INBOX_ROWS = "channel = 'inbox'"


class Notification(Base):
    """An outbox row: created in the transaction that caused it, sent later, once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index(
            "ix_notifications_unsent",
            "id",
            sqlite_where=text(UNSENT),
            postgresql_where=text(UNSENT),
        ),
        Index(
            "ix_notifications_inbox_uscc",
            "uscc",
            sqlite_where=text(INBOX_ROWS),
            postgresql_where=text(INBOX_ROWS),
        ),
    )


class Batch(Base):
    """A disbursement batch exported for the finance system."""

    __table__ = tables.batches

    id: Mapped[int]
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str]
    status: Mapped[str]
    grants: Mapped[int]
    total_fen: Mapped[int]
    csv_path: Mapped[str | None]
    xlsx_path: Mapped[str | None]


# A batch item that still counts: not yet settled, or paid. A grant has at most one (the
# partial unique index below), so it is never in two open batches and never exported
# again once paid; only a failed payment's item leaves room for a re-payment's.
LIVE_BATCH_ITEM = "result IS NULL OR result <> 'failed'"


class BatchItem(Base):
    """A grant in a batch. A grant is in one batch at a time, and in a later one only after
    a payment that failed (``huiqi.delivery.repayment``): at most one live item per grant."""

    __tablename__ = "batch_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[str | None] = mapped_column(String(16))  # paid | failed
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ux_batch_items_live_grant",
            "grant_id",
            unique=True,
            sqlite_where=text(LIVE_BATCH_ITEM),
            postgresql_where=text(LIVE_BATCH_ITEM),
        ),
    )


class Event(Base):
    """The append-only audit log: who did what, when and why (UPDATE/DELETE are refused).

    Events form hash chains (``chain``, in ``seq`` order): each carries the hash of the one
    before it, so ``huiqi audit verify`` finds any row changed or removed behind
    the database's back (see :mod:`huiqi.delivery.audit`).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    policy_version_id: Mapped[int | None] = mapped_column(Integer)
    entity: Mapped[str | None] = mapped_column(String(64), index=True)  # an object's trail
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    chain: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("chain", "seq"),)


class AuditHead(Base):
    """Where one audit chain ends (id = chain): its last ``seq``, moved under a row lock
    when events are appended; the last event's hash is read from the event itself."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class DirectoryEntry(Base):
    """The enterprises the ledger has delivered to: name, district and park, from the
    snapshot of their latest delivery. Scopes are checked against it (a park operator
    acts only for the enterprises of its park)."""

    __table__ = tables.enterprise_directory

    uscc: Mapped[str]
    name: Mapped[str | None]
    district_code: Mapped[str | None]
    park: Mapped[str | None]
    snapshot_id: Mapped[int]


class Attachment(Base):
    """A file attached to a pre-filled application (申报) while it is open: its content is
    kept in the database, in the transaction that records its audit event (see
    :mod:`huiqi.delivery.attachments` for why). The type is the one sniffed from the
    content; the name is made safe (never a path)."""

    __tablename__ = "application_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read when downloaded
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The upload's one-time key (the form's, or an API call's Idempotency-Key header).
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # Which of the policy's listed documents (申报材料) the file is: its Chinese name as the
    # policy lists it (migration 0024); NULL for a file that is none of them.
    document: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("size > 0", name="not_empty"),
        # One file per account and key (migration 0022): a repeated upload finds the first.
        # Files without a key never collide.
        Index("uq_application_attachments_once", "uploaded_by", "idempotency_key", unique=True),
    )


class PolicyDraft(Base):
    """A policy's YAML as an officer edits it before publishing: one draft per policy,
    from a published version's text (``base_version``) or new. The scope it is checked
    against (level, region, department) is the last text that parsed, or the base
    version's; ``lint`` is the result of the checks run on the last save (JSON)."""

    __tablename__ = "policy_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(120), unique=True)
    base_version: Mapped[int | None] = mapped_column(Integer)
    source_yaml: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(6))
    department: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    lint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
