"""the requests desk (诉求): requests, steps, transfers, ratings, attachments, categories
and routing rules

- ``desk_categories``: kinds of request with their default department and deadlines in
  working days (acknowledge, answer, remind before); seeded with the city's usual ones.
- ``desk_routes``: admin-edited rules (category, keywords) -> owning department.
- ``desk_requests``: an enterprise's request, its department, status, due dates, reply,
  reminder and escalation marks; ``hotline_id`` unique so a 12345 export imports once.
- ``desk_steps``, ``desk_transfers``, ``desk_ratings`` (one per answer round),
  ``desk_attachments``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CATEGORIES = [
    ("policy", "政策咨询", "Policy questions", "市经济信息化委", 1, 5, 1),
    ("funding", "资金兑付", "Grant payments", "市财政局", 1, 5, 1),
    ("financing", "融资需求", "Financing", "市地方金融管理局", 1, 10, 2),
    ("permits", "审批办事", "Permits and approvals", "市政务服务办", 1, 5, 1),
    ("space", "用地用房", "Land and premises", "市规划资源局", 1, 10, 2),
    ("other", "其他诉求", "Other requests", "市营商环境办", 1, 5, 1),
]


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    categories = op.create_table(
        "desk_categories",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label_zh", sa.String(length=100), nullable=False),
        sa.Column("label_en", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("ack_days", sa.Integer(), nullable=False),
        sa.Column("answer_days", sa.Integer(), nullable=False),
        sa.Column("remind_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "ack_days >= 0 AND answer_days >= ack_days AND remind_days >= 0",
            name=op.f("ck_desk_categories_deadlines_ordered"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_desk_categories")),
    )
    op.bulk_insert(
        categories,
        [
            dict(
                zip(
                    (
                        "code",
                        "label_zh",
                        "label_en",
                        "department",
                        "ack_days",
                        "answer_days",
                        "remind_days",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in CATEGORIES
        ],
    )
    op.create_table(
        "desk_routes",
        _id(),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_routes")),
    )
    op.create_table(
        "desk_requests",
        _id(),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("policy_id", sa.String(length=120), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("hotline_id", sa.String(length=64), nullable=True),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("ack_due", sa.Date(), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("ack_reminded_at", sa.DateTime(), nullable=True),
        sa.Column("answer_reminded_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'answered', 'reopened', 'closed')",
            name=op.f("ck_desk_requests_desk_status"),
        ),
        sa.CheckConstraint("reopened IN (0, 1)", name=op.f("ck_desk_requests_reopened_once")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_requests")),
        sa.UniqueConstraint("hotline_id", name=op.f("uq_desk_requests_hotline_id")),
    )
    op.create_index(op.f("ix_desk_requests_uscc"), "desk_requests", ["uscc"])
    op.create_index(
        "ix_desk_requests_department_status_id",
        "desk_requests",
        ["department", "status", "id"],
    )
    children: tuple[tuple[str, list[sa.schema.SchemaItem]], ...] = (
        (
            "desk_steps",
            [
                sa.Column("kind", sa.String(length=16), nullable=False),
                sa.Column("actor", sa.String(length=64), nullable=False),
                sa.Column("text", sa.Text(), nullable=True),
                sa.Column("at", sa.DateTime(), nullable=False),
            ],
        ),
        (
            "desk_transfers",
            [
                sa.Column("from_department", sa.String(length=200), nullable=False),
                sa.Column("to_department", sa.String(length=200), nullable=False),
                sa.Column("reason", sa.Text(), nullable=False),
                sa.Column("transferred_by", sa.String(length=64), nullable=False),
                sa.Column("at", sa.DateTime(), nullable=False),
            ],
        ),
        (
            "desk_attachments",
            [
                sa.Column("filename", sa.String(length=120), nullable=False),
                sa.Column("content_type", sa.String(length=100), nullable=False),
                sa.Column("size", sa.BigInteger(), nullable=False),
                sa.Column("sha256", sa.String(length=64), nullable=False),
                sa.Column("content", sa.LargeBinary(), nullable=False),
                sa.Column("uploaded_by", sa.String(length=64), nullable=False),
                sa.Column("created_at", sa.DateTime(), nullable=False),
                sa.CheckConstraint("size > 0", name=op.f("ck_desk_attachments_desk_not_empty")),
            ],
        ),
    )
    for table, columns in children:
        op.create_table(
            table,
            _id(),
            sa.Column("request_id", sa.Integer(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["request_id"],
                ["desk_requests.id"],
                name=op.f(f"fk_{table}_request_id_desk_requests"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_request_id"), table, ["request_id"])
    op.create_table(
        "desk_ratings",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_desk_ratings_desk_stars_1_to_5")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["desk_requests.id"],
            name=op.f("fk_desk_ratings_request_id_desk_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_ratings")),
        sa.UniqueConstraint("request_id", "round", name=op.f("uq_desk_ratings_request_id")),
    )


def downgrade() -> None:
    for table in ("desk_ratings", "desk_attachments", "desk_transfers", "desk_steps"):
        op.drop_table(table)
    op.drop_index("ix_desk_requests_department_status_id", table_name="desk_requests")
    op.drop_index(op.f("ix_desk_requests_uscc"), table_name="desk_requests")
    op.drop_table("desk_requests")
    op.drop_table("desk_routes")
    op.drop_table("desk_categories")
