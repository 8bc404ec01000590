"""an idempotent call's answer is bound to what its access rested on, not the roles alone (qa2)

0027 bound a kept answer to the account's roles and scopes. Some access rests on data
as well: a park operator acts for the enterprises the registries place in its park, a
desk officer of a department handles the requests that are with that department. An
operator whose enterprise had moved to another park, or an officer whose request had
been transferred away, was answered on a repeat what it may no longer read, its roles
unchanged. ``relies`` keeps what the call's checks rested on (a JSON list of [kind,
subject]: ["enterprise", a USCC], ["request", an id], ``huiqi.accounts.reliance``); a
repeat is answered only while the account may still read each of them, and is otherwise
a 409 saying why.

Rows written before this revision hold NULL ``relies``: what they rested on was not
recorded, so a repeat of them is refused (they are deleted within 24 hours).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_idempotency", sa.Column("relies", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency") as batch:
        batch.drop_column("relies")
