"""an enterprise's records and grants by (uscc, id)

An enterprise's listing asks for its rows in id order, a keyset page at a time
(``WHERE uscc = ? AND id > ? ORDER BY id LIMIT ?``). With an index on ``uscc`` alone,
PostgreSQL may walk the primary key in id order and filter on the USCC instead: it did
so at 6.4 million records right after a bulk fill (no statistics yet), 1.25 s for one
enterprise's 32 records. An index on ``(uscc, id)`` answers the filter and the order
together whatever the statistics say (0.4 ms), and serves every query the ``uscc``
index served, which it replaces.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("entitlements", "grants"):
        op.create_index(f"ix_{table}_uscc_id", table, ["uscc", "id"])
        op.drop_index(f"ix_{table}_uscc", table_name=table)


def downgrade() -> None:
    for table in ("grants", "entitlements"):
        op.create_index(f"ix_{table}_uscc", table, ["uscc"])
        op.drop_index(f"ix_{table}_uscc_id", table_name=table)
