"""The rules of the sign-in check, apart from how the token's row is read.

:func:`huiqi.accounts.bearer.actor_from_token` reads the token's row through SQLAlchemy;
the command line's quick listings (:mod:`huiqi.cli.quick`) read the same row, with the
same SQL, through the database driver. Both decide here, so a token is refused for the
same reasons with the same message on either path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from huiqi.accounts.access import Actor, NotSignedIn
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.clock import shown

# How often a token's last use is written down (a read leaves it to the next write).
LAST_USED_EVERY = dt.timedelta(minutes=5)
NO_TOKEN = "sign in first: 'huiqi login' (or set HUIQI_TOKEN to an API token)"


def token_digest(token: str) -> str:
    """What is stored of a bearer token: its SHA-256."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def check_token_row(row: Any, now: dt.datetime) -> tuple[int, int, str, bool]:
    """The token's id, its user's id and name, and whether its last use is stale, from
    the row ``(token id, expires_at, revoked_at, last_used_at, user id, username,
    disabled)`` (None: no such token); NotSignedIn if it is unknown, revoked or expired."""
    if row is None:
        raise NotSignedIn("the token is not known here; sign in again with 'huiqi login'")
    token_id, expires_at, revoked_at, last_used_at, user_id, username, disabled = row
    if revoked_at is not None or disabled:
        raise NotSignedIn("the token was revoked or its user disabled; sign in again")
    if expires_at <= now:
        # In China time, as every listing shows times (the UTC date was a day early for
        # eight hours of each day).
        raise NotSignedIn(f"the token expired on {shown(expires_at)}; sign in again")
    stale = last_used_at is None or now - last_used_at > LAST_USED_EVERY
    return token_id, user_id, username, stale


def actor_of(
    username: str,
    user_id: int,
    roles: Iterable[tuple[str, str | None]],
    token_id: int | None = None,
) -> Actor:
    """The actor of a user holding ``roles`` (rows of role and scope), signed in with the
    token ``token_id``."""
    grants = tuple(sorted({RoleGrant(Role(r), s) for r, s in roles}))
    return Actor(username, grants, user_id, token_id)
