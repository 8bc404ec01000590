"""Core tables of the ledger that the read-only listings query without the ORM.

``huiqi versions``, ``grants``, ``records`` and ``disburse batches`` read these through SQLAlchemy Core, so a
listing does not import the ORM and map every model (about a tenth of a second at each
start: docs/benchmarks.md, Command-line start-up). The ORM classes of
:mod:`huiqi.delivery.models` map onto these same tables; a table is declared here once.
Columns without ``nullable=True`` are NOT NULL, as their ``Mapped`` annotations say.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from huiqi.db.clock import utcnow
from huiqi.db.metadata import metadata
from huiqi.delivery.statuses import BatchStatus, BudgetMode, GrantStatus, VersionStatus

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("policy_id", String(120), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_yaml", Text, nullable=False),
    Column("title_zh", String(400), nullable=False),
    Column("delivery", String(16), nullable=False),
    Column("level", String(16), nullable=False),
    Column("region", String(6), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("benefit_period", String(32), nullable=False),
    Column("budget_fen", BigInteger, nullable=True),
    Column("budget_mode", String(16), nullable=False, default=BudgetMode.FIRST_COME),
    Column("committed_fen", BigInteger, nullable=False, default=0),
    Column("per_enterprise_cap_fen", BigInteger, nullable=True),
    Column("cap_group", String(120), nullable=True),
    Column("exclusivity_group", String(120), nullable=True),
    Column("department", String(200), nullable=True),
    Column("status", String(16), nullable=False, default=VersionStatus.PUBLISHED),
    Column("published_at", DateTime, nullable=False, default=utcnow),
    Column("published_by", String(64), nullable=False),
    UniqueConstraint("policy_id", "version"),
    CheckConstraint("committed_fen >= 0", name="committed_nonnegative"),
    CheckConstraint(
        "budget_fen IS NULL OR committed_fen <= budget_fen", name="budget_not_exceeded"
    ),
    CheckConstraint("budget_mode IN ('first_come', 'pro_rata')", name="budget_mode"),
)

# A delivery record: what one enterprise is offered or given under one version.
# status: granted | offered | claimed | expired | application_open | submitted | approved |
# rejected | excluded | budget_exhausted | capped | pending_allocation | withdrawn |
# zero_amount (eligible, the amount formula gives 0: no grant)
entitlements = Table(
    "entitlements",
    metadata,
    Column("id", Integer, primary_key=True),
    # Queries by version use the (version, USCC, period) unique index below.
    Column("policy_version_id", ForeignKey("policy_versions.id"), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("benefit_period", String(32), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("match_status", String(16), nullable=False),  # eligible | near_miss
    Column("status", String(24), nullable=False),
    Column("computed_fen", BigInteger, nullable=True),
    Column("snapshot_id", Integer, nullable=False),
    # The last snapshot the record was checked against (delivered, re-matched or flagged).
    Column("last_snapshot_id", Integer, nullable=False),
    Column("explanation", JSON, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("review_flag", Boolean, nullable=False, default=False),
    Column("review_reason", Text, nullable=True),
    # The conditions a flag "no longer eligible" found failing (huiqi.delivery.lost_criteria);
    # NULL for other flags, for flags raised before migration 0026, and once decided.
    Column("review_criteria", JSON(none_as_null=True), nullable=True),
    Column("status_reason", Text, nullable=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=False, default=utcnow, onupdate=utcnow),
    UniqueConstraint("policy_version_id", "uscc", "benefit_period"),
    # Officers' queues: one status, in id order (keyset pages).
    Index("ix_entitlements_status_id", "status", "id"),
    # An enterprise's records in id order (keyset pages); also every lookup by USCC.
    Index("ix_entitlements_uscc_id", "uscc", "id"),
)

# A grant that counts: every grant but one superseded under 就高不重复 or withdrawn after
# review before it was paid. The same text is the partial unique index's predicate and a
# term of every query that looks a grant up by policy, so both databases use the index
# (migrations 0015 and 0023).
LIVE_GRANT = f"status NOT IN ('{GrantStatus.SUPERSEDED}', '{GrantStatus.WITHDRAWN}')"
# The enterprise's one grant of a policy for a period: a live grant that is not a
# reviewer's version correction (``corrects_grant_id``, huiqi.delivery.version_fix). The
# partial unique index's predicate, and the terms a lookup by policy adds to use it
# (migration 0028).
ONCE_GRANT = f"{LIVE_GRANT} AND corrects_grant_id IS NULL"
# A live correction: at most one per grant it corrects (the chain v1 <- v2 <- v3 has one
# tip, and two reviewers deciding at once cannot both add a difference to the same grant).
LIVE_CORRECTION = f"corrects_grant_id IS NOT NULL AND {LIVE_GRANT}"

# Money granted: at most one per (policy version, enterprise, benefit period), and at most
# one live grant per (policy, enterprise, benefit period) whatever the version: publishing
# version 2 of a policy never pays an enterprise again for a period version 1 paid. The
# one exception is a reviewer's correction of a grant already sent for payment (the
# difference a newer version gives), which names the grant it corrects, at most once.
grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entitlement_id", ForeignKey("entitlements.id"), nullable=False, unique=True),
    # Queries by version use the (version, USCC, period) unique index below.
    Column("policy_version_id", ForeignKey("policy_versions.id"), nullable=False),
    # The version's policy id, kept on the grant so the database enforces one live grant
    # per policy and period across versions.
    Column("policy_id", String(120), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("benefit_period", String(32), nullable=False),
    Column("requested_fen", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),  # a GrantStatus
    Column("snapshot_id", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    # JSON null: the grant's explanation is its record's (``entitlements.explanation``, never
    # rewritten), stored once; read it with ``huiqi.delivery.explanations.of_grant``.
    # Grants made before 2026-12-01 and allocated grants (pro rata) hold their own.
    Column("explanation", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("paid_at", DateTime, nullable=True),
    # A reviewer's version correction (huiqi.delivery.version_fix): the difference a newer
    # version of the policy gives, granted on top of this earlier grant of the same
    # policy and period, which had already been sent for payment. NULL for every other
    # grant.
    Column("corrects_grant_id", ForeignKey("grants.id"), nullable=True),
    UniqueConstraint("policy_version_id", "uscc", "benefit_period"),
    CheckConstraint("amount_fen >= 0 AND requested_fen >= 0", name="amounts_nonnegative"),
    # Export candidates (granted, in id order) and the grant queues.
    Index("ix_grants_status_id", "status", "id"),
    # An enterprise's grants in id order (keyset pages); also every lookup by USCC.
    Index("ix_grants_uscc_id", "uscc", "id"),
    Index(
        "uq_grants_policy_once",
        "policy_id",
        "uscc",
        "benefit_period",
        unique=True,
        sqlite_where=text(ONCE_GRANT),
        postgresql_where=text(ONCE_GRANT),
    ),
    Index(
        "uq_grants_corrected_once",
        "corrects_grant_id",
        unique=True,
        sqlite_where=text(LIVE_CORRECTION),
        postgresql_where=text(LIVE_CORRECTION),
    ),
)

# The enterprises the ledger has delivered to: name, district and park, from the snapshot
# of their latest delivery. Scopes are checked against it (a park operator acts only for
# the enterprises of its park). A desk request a park operator files for an enterprise
# not delivered to yet adds it, from the latest snapshot (huiqi.desk.filing).
enterprise_directory = Table(
    "enterprise_directory",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", String(400), nullable=True),
    Column("district_code", String(6), nullable=True, index=True),
    Column("park", String(200), nullable=True, index=True),
    Column("snapshot_id", Integer, nullable=False),
)

# A disbursement batch exported for the finance system.
batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("created_by", String(64), nullable=False),
    Column("status", String(16), nullable=False, default=BatchStatus.EXPORTED),
    Column("grants", Integer, nullable=False, default=0),
    Column("total_fen", BigInteger, nullable=False, default=0),
    Column("csv_path", Text, nullable=True),
    Column("xlsx_path", Text, nullable=True),
)
