"""Core tables of accounts, read without the ORM by the sign-in check of every command,
and of the API calls an account made with an idempotency key.

:mod:`huiqi.accounts.models` maps its classes onto these tables (declared once, here):
a listing checks its token through SQLAlchemy Core and never imports the ORM
(docs/benchmarks.md, Command-line start-up). Passwords and tokens are never stored: a
user row holds an argon2id hash, a token row the SHA-256 of a random token.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from huiqi.db.clock import utcnow
from huiqi.db.metadata import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=True),
    Column("email", String(254), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=False, default=utcnow, onupdate=utcnow),
)

# A role a user holds, with its scope (a USCC, a park, a policy scope, or none).
user_roles = Table(
    "user_roles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("scope", String(200), nullable=True, index=True),
    UniqueConstraint("user_id", "role", "scope"),
)

# A bearer token: a CLI sign-in or a machine client's API token.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(16), nullable=False),  # login | api
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Column("last_used_at", DateTime, nullable=True),
)

# An API call an account sent with an Idempotency-Key, and the answer it got, kept 24 hours
# (huiqi.accounts.idempotent_calls): a repeat of the call is answered from here. A row
# without a status is a call still being answered.
api_idempotency = Table(
    "api_idempotency",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("principal", String(64), nullable=False),  # the account's username
    Column("idempotency_key", String(64), nullable=False),  # the key's SHA-256, hex
    Column("method", String(10), nullable=False),
    Column("path", Text, nullable=False),  # with its query string, as sent
    Column("body_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=True),
    Column("headers", Text, nullable=True),  # the answer's kept headers, a JSON list of pairs
    # NULL with a status: the answer was larger than idempotent_calls.MAX_ANSWER, not kept.
    Column("body", LargeBinary, nullable=True),
    # The account's roles as held when the call was made, a JSON list of "role=scope"
    # (0027): a repeat is answered only while the account still holds every one of them.
    Column("grants", Text, nullable=True),
    # What the call's access rested on beyond the roles, a JSON list of [kind, subject]
    # (0029, huiqi.accounts.reliance): a park operator's enterprise, a desk officer's
    # request; a repeat is answered only while the account may still read each of them.
    Column("relies", Text, nullable=True),
    Column("created_at", DateTime, nullable=False, index=True),
    UniqueConstraint("principal", "idempotency_key"),
)
