"""The actor a bearer token stands for: the sign-in check of every command and request.

Read through SQLAlchemy Core (:mod:`huiqi.accounts.tables`), so that it works on an ORM
session and on a Core connection alike: the command-line listings check their token
without loading the ORM (docs/benchmarks.md, Command-line start-up).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from huiqi.accounts.access import Actor, NotSignedIn
from huiqi.accounts.credentials import token_digest
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.tables import api_tokens, user_roles, users
from huiqi.db.clock import utcnow
from huiqi.db.engine import is_reading

if TYPE_CHECKING:
    from huiqi.db.engine import Reads

# How often a token's last use is written down (a read leaves it to the next write).
LAST_USED_EVERY = dt.timedelta(minutes=5)


def actor_from_token(session: Reads, secret: str | None) -> Actor:
    """The actor a bearer token stands for; NotSignedIn if it is unknown, expired or revoked."""
    if not secret:
        raise NotSignedIn("sign in first: 'huiqi login' (or set HUIQI_TOKEN to an API token)")
    row = session.execute(
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
        .where(api_tokens.c.token_hash == token_digest(secret))
    ).one_or_none()
    now = utcnow()
    if row is None:
        raise NotSignedIn("the token is not known here; sign in again with 'huiqi login'")
    token_id, expires_at, revoked_at, last_used_at, user_id, username, disabled = row
    if revoked_at is not None or disabled:
        raise NotSignedIn("the token was revoked or its user disabled; sign in again")
    if expires_at <= now:
        raise NotSignedIn(f"the token expired on {expires_at:%Y-%m-%d}; sign in again")
    stale = last_used_at is None or now - last_used_at > LAST_USED_EVERY
    if stale and not is_reading(session):  # a read leaves it to the next write
        session.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now)
        )
    roles = session.execute(
        select(user_roles.c.role, user_roles.c.scope).where(user_roles.c.user_id == user_id)
    )
    return Actor(username, tuple(sorted({RoleGrant(Role(r), s) for r, s in roles})), user_id)
