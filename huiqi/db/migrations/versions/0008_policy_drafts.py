"""policy drafts edited in the officer console

- ``policy_drafts``: one policy's YAML as an officer edits it before publishing (one
  draft per policy), the published version it started from, the scope it is checked
  against, its author, and the result of the lint and test cases run on its last save.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=120), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("source_yaml", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("lint", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_drafts")),
        sa.UniqueConstraint("policy_id", name=op.f("uq_policy_drafts_policy_id")),
    )


def downgrade() -> None:
    op.drop_table("policy_drafts")
