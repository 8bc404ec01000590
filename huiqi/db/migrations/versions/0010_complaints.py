"""complaints about enterprises and the review of professional complainants

- ``complainants``: one per keyed hash of an ID number (masked ID and name for the
  reviewer), with the latest review status;
- ``complaints``: the complaint, its enterprise, amounts in fen, text, the keyed hashes
  and masks of the phone, address and bank account it gave, and its answer group;
- ``complaint_detection_runs``, ``complainant_scores``, ``complainant_clusters``: each
  detection run's scores and clusters with their evidence (JSON text);
- ``complainant_reviews``: officers' decisions (professional or not) with a reason.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complainants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=32), nullable=False),
        sa.Column("id_masked", sa.String(length=32), nullable=False),
        sa.Column("name_masked", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('unreviewed', 'professional', 'not_professional')",
            name=op.f("ck_complainants_complainant_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complainants")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_complainants_id_hash")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("complainant_id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("claim_fen", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("phone_hash", sa.String(length=32), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("address_hash", sa.String(length=32), nullable=True),
        sa.Column("address_masked", sa.String(length=200), nullable=True),
        sa.Column("bank_hash", sa.String(length=32), nullable=True),
        sa.Column("bank_masked", sa.String(length=40), nullable=True),
        sa.Column("answer_group", sa.String(length=64), nullable=True),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "amount_fen IS NULL OR amount_fen >= 0", name=op.f("ck_complaints_amount_not_negative")
        ),
        sa.CheckConstraint(
            "claim_fen IS NULL OR claim_fen >= 0", name=op.f("ck_complaints_claim_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["complainants.id"],
            name=op.f("fk_complaints_complainant_id_complainants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("ref", name=op.f("uq_complaints_ref")),
    )
    op.create_index(op.f("ix_complaints_complainant_id"), "complaints", ["complainant_id"])
    op.create_index("ix_complaints_uscc_answer_group", "complaints", ["uscc", "answer_group"])
    op.create_table(
        "complaint_detection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.String(length=64), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("complainants", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("thresholds", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_detection_runs")),
    )
    op.create_table(
        "complainant_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("complainant_id", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("own_score", sa.Integer(), nullable=False),
        sa.Column("cluster_score", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "score BETWEEN 0 AND 100", name=op.f("ck_complainant_scores_score_0_to_100")
        ),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["complainants.id"],
            name=op.f("fk_complainant_scores_complainant_id_complainants"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["complaint_detection_runs.id"],
            name=op.f("fk_complainant_scores_run_id_complaint_detection_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complainant_scores")),
        sa.UniqueConstraint("run_id", "complainant_id", name=op.f("uq_complainant_scores_run_id")),
    )
    op.create_index(
        op.f("ix_complainant_scores_complainant_id"), "complainant_scores", ["complainant_id"]
    )
    op.create_index(
        "ix_complainant_scores_run_id_flagged_score",
        "complainant_scores",
        ["run_id", "flagged", "score"],
    )
    op.create_table(
        "complainant_clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["complaint_detection_runs.id"],
            name=op.f("fk_complainant_clusters_run_id_complaint_detection_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complainant_clusters")),
        sa.UniqueConstraint("run_id", "number", name=op.f("uq_complainant_clusters_run_id")),
    )
    op.create_table(
        "complainant_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complainant_id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "decision IN ('professional', 'not_professional')",
            name=op.f("ck_complainant_reviews_review_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["complainants.id"],
            name=op.f("fk_complainant_reviews_complainant_id_complainants"),
        ),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["complainant_scores.id"],
            name=op.f("fk_complainant_reviews_score_id_complainant_scores"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complainant_reviews")),
    )
    op.create_index(
        op.f("ix_complainant_reviews_complainant_id"), "complainant_reviews", ["complainant_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_complainant_reviews_complainant_id"), table_name="complainant_reviews")
    op.drop_table("complainant_reviews")
    op.drop_table("complainant_clusters")
    op.drop_index("ix_complainant_scores_run_id_flagged_score", table_name="complainant_scores")
    op.drop_index(op.f("ix_complainant_scores_complainant_id"), table_name="complainant_scores")
    op.drop_table("complainant_scores")
    op.drop_table("complaint_detection_runs")
    op.drop_index("ix_complaints_uscc_answer_group", table_name="complaints")
    op.drop_index(op.f("ix_complaints_complainant_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("complainants")
