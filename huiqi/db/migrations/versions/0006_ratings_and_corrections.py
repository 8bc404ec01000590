"""ratings of grants and decisions; data-correction requests

- ``ratings``: an enterprise's 1–5 rating and comment of one grant or one decided
  delivery record, at most one per (grant, enterprise) and per (record, enterprise),
  enforced by unique constraints;
- ``correction_requests``: a value huiqi holds that the enterprise reports as wrong,
  routed to the field's source registry, open / accepted / rejected with a reason.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("entitlement_id", sa.Integer(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_ratings_stars_1_to_5")),
        sa.CheckConstraint(
            "(grant_id IS NULL) <> (entitlement_id IS NULL)",
            name=op.f("ck_ratings_rates_one_thing"),
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_ratings_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_ratings_grant_id_grants")
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["policy_versions.id"],
            name=op.f("fk_ratings_policy_version_id_policy_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("entitlement_id", "uscc", name=op.f("uq_ratings_entitlement_id")),
        sa.UniqueConstraint("grant_id", "uscc", name=op.f("uq_ratings_grant_id")),
    )
    op.create_index(op.f("ix_ratings_uscc"), "ratings", ["uscc"])
    op.create_index(op.f("ix_ratings_policy_version_id"), "ratings", ["policy_version_id"])
    op.create_table(
        "correction_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("held_value", sa.Text(), nullable=True),
        sa.Column("proposed_value", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'rejected')",
            name=op.f("ck_correction_requests_correction_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_requests")),
    )
    op.create_index(op.f("ix_correction_requests_uscc"), "correction_requests", ["uscc"])
    op.create_index(
        "ix_correction_requests_source_status_id",
        "correction_requests",
        ["source", "status", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_correction_requests_source_status_id", table_name="correction_requests")
    op.drop_index(op.f("ix_correction_requests_uscc"), table_name="correction_requests")
    op.drop_table("correction_requests")
    op.drop_index(op.f("ix_ratings_policy_version_id"), table_name="ratings")
    op.drop_index(op.f("ix_ratings_uscc"), table_name="ratings")
    op.drop_table("ratings")
