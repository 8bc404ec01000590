"""The actor a bearer token stands for: the sign-in check of every command and request.

Read through SQLAlchemy Core (:mod:`huiqi.accounts.tables`), so that it works on an ORM
session and on a Core connection alike: the command-line listings check their token
without loading the ORM (docs/benchmarks.md, Command-line start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from huiqi.accounts.access import Actor, NotSignedIn
from huiqi.accounts.tables import api_tokens, user_roles, users
from huiqi.accounts.tokencheck import (
    LAST_USED_EVERY,
    NO_TOKEN,
    actor_of,
    check_token_row,
    token_digest,
)
from huiqi.db.clock import utcnow
from huiqi.db.engine import is_reading, write_if_free

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from huiqi.db.engine import Reads

__all__ = [
    "LAST_USED_EVERY",
    "actor_from_token",
    "checked_token",
    "record_use",
    "roles_query",
    "token_query",
]


def token_query(digest: str) -> Any:
    """The row :func:`~huiqi.accounts.tokencheck.check_token_row` decides on."""
    return (
        select(
            api_tokens.c.id,
            api_tokens.c.expires_at,
            api_tokens.c.revoked_at,
            api_tokens.c.last_used_at,
            users.c.id,
            users.c.username,
            users.c.disabled,
        )
        .join_from(api_tokens, users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == digest)
    )


def roles_query(user_id: int) -> Any:
    """The roles and scopes a user holds."""
    return select(user_roles.c.role, user_roles.c.scope).where(user_roles.c.user_id == user_id)


def actor_from_token(session: Reads, secret: str | None) -> Actor:
    """The actor a bearer token stands for; NotSignedIn if it is unknown, expired or revoked."""
    return checked_token(session, secret)[0]


def checked_token(session: Reads, secret: str | None) -> tuple[Actor, int | None]:
    """The actor a bearer token stands for, and the token's id when its last use is due
    to be written down and ``session`` only reads (the caller then calls
    :func:`record_use` after its read); NotSignedIn if unknown, expired or revoked."""
    if not secret:
        raise NotSignedIn(NO_TOKEN)
    row = session.execute(token_query(token_digest(secret))).one_or_none()
    now = utcnow()
    token_id, user_id, username, stale = check_token_row(row, now)
    due = None
    if stale and is_reading(session):
        due = token_id
    elif stale:
        session.execute(_used(token_id, now))
    roles = session.execute(roles_query(user_id))
    return actor_of(username, user_id, roles, token_id), due


def _used(token_id: int, now: Any) -> Any:
    return (
        update(api_tokens)
        .where(api_tokens.c.id == token_id)
        .where(
            (api_tokens.c.last_used_at.is_(None))
            | (api_tokens.c.last_used_at < now - LAST_USED_EVERY)
        )
        .values(last_used_at=now)
    )


def record_use(engine: Engine, token_id: int) -> bool:
    """Write down that a token was just used, if the database is free now: a reader
    never waits for it behind a bulk write, and a skipped one is written at a later use
    (last use is kept to within :data:`LAST_USED_EVERY`). Whether it was written."""
    now = utcnow()
    return write_if_free(engine, lambda conn: conn.execute(_used(token_id, now)))
