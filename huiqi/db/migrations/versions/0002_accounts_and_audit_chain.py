"""accounts, scoped roles, API tokens, audit hash chain, enterprise directory

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

from huiqi.delivery.audit import CHAINS, GENESIS, chain_hash, chain_of

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Roles before accounts existed, and what each becomes (with its scope).
_OLD_ROLES: dict[str, list[tuple[str, str | None]]] = {
    "enterprise": [("enterprise", "uscc")],
    "policy_officer": [("policy_author", "*"), ("policy_publisher", "*"), ("policy_reviewer", "*")],
    "finance_officer": [("finance_officer", None)],
    "operator": [("park_operator", "(unassigned)")],
    "data_steward": [("data_steward", None)],
    "admin": [("admin", None)],
}


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    _drop_append_only_triggers(sqlite)

    # Read the old roles first: the users table is rebuilt before anything refers to it.
    users = bind.execute(sa.text("SELECT id, role, uscc FROM users")).all()
    with op.batch_alter_table("users") as batch:
        batch.drop_index(op.f("ix_users_uscc"))
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.drop_column("role")
        batch.drop_column("uscc")
        batch.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))

    op.create_table(
        "user_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_roles")),
        sa.UniqueConstraint("user_id", "role", "scope", name=op.f("uq_user_roles_user_id")),
    )
    op.create_index(op.f("ix_user_roles_user_id"), "user_roles", ["user_id"])
    op.create_index(op.f("ix_user_roles_scope"), "user_roles", ["scope"])
    for user_id, role, uscc in users:
        for new_role, scope in _OLD_ROLES.get(role, []):
            bind.execute(
                sa.text("INSERT INTO user_roles (user_id, role, scope) VALUES (:u, :r, :s)"),
                {"u": user_id, "r": new_role, "s": uscc if scope == "uscc" else scope},
            )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])

    op.create_table(
        "enterprise_directory",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=True),
        sa.Column("park", sa.String(length=200), nullable=True),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_enterprise_directory")),
    )
    op.create_index(
        op.f("ix_enterprise_directory_district_code"), "enterprise_directory", ["district_code"]
    )
    op.create_index(op.f("ix_enterprise_directory_park"), "enterprise_directory", ["park"])

    with op.batch_alter_table("policy_versions") as batch:
        batch.add_column(sa.Column("department", sa.String(length=200), nullable=True))
    for pv_id, text in bind.execute(sa.text("SELECT id, source_yaml FROM policy_versions")).all():
        try:
            department = (yaml.safe_load(text) or {}).get("department", {}).get("zh")
        except (yaml.YAMLError, AttributeError):
            department = None
        bind.execute(
            sa.text("UPDATE policy_versions SET department = :d WHERE id = :i"),
            {"d": department, "i": pv_id},
        )

    _chain_existing_events(bind)
    _append_only_triggers(sqlite)


def _chain_existing_events(bind: sa.Connection) -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    head_table = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    events = sa.table(
        "events",
        *(
            sa.column(c)
            for c in (
                "id",
                "actor",
                "kind",
                "uscc",
                "policy_version_id",
                "entity",
                "reason",
                "chain",
                "seq",
                "prev_hash",
                "hash",
            )
        ),
        sa.column("data", sa.JSON()),
        sa.column("at", sa.DateTime()),
    )
    heads: dict[int, list[Any]] = {chain: [0, GENESIS] for chain in range(CHAINS)}
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for r in rows:
        row = dict(r)
        head = heads[chain_of(row["uscc"])]
        head[0] += 1
        row["chain"], row["seq"] = chain_of(row["uscc"]), head[0]
        digest = chain_hash(head[1], row)
        bind.execute(
            events.update()
            .where(events.c.id == r["id"])
            .values(chain=row["chain"], seq=row["seq"], prev_hash=head[1], hash=digest)
        )
        head[1] = digest
    op.bulk_insert(head_table, [{"id": c, "seq": s} for c, (s, _) in sorted(heads.items())])
    with op.batch_alter_table("events") as batch:
        batch.alter_column("chain", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_events_chain"), ["chain", "seq"])


def _drop_append_only_triggers(sqlite: bool) -> None:
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")


def _append_only_triggers(sqlite: bool) -> None:
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        return
    op.execute(
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION huiqi_events_append_only()"
    )


def downgrade() -> None:
    raise RuntimeError("accounts and the audit chain cannot be removed from a ledger")
