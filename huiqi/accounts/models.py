"""Tables of accounts: users, the roles they hold (with scopes), and API tokens.

The classes map onto the Core tables of :mod:`huiqi.accounts.tables`, where the columns
are declared. Passwords and tokens are never stored: a user row holds an argon2id hash,
a token row the SHA-256 of a random token (a token has 256 bits of entropy, so a fast
hash is enough to make a stolen table useless).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Mapped, relationship

from huiqi.accounts import tables
from huiqi.db.base import Base


class User(Base):
    __table__ = tables.users

    id: Mapped[int]
    username: Mapped[str]
    display_name: Mapped[str | None]
    email: Mapped[str | None]
    password_hash: Mapped[str | None]
    disabled: Mapped[bool]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class UserRole(Base):
    """A role a user holds, with its scope (a USCC, a park, a policy scope, or none)."""

    __table__ = tables.user_roles

    id: Mapped[int]
    user_id: Mapped[int]
    role: Mapped[str]
    scope: Mapped[str | None]

    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """A bearer token: a CLI sign-in or a machine client's API token."""

    __table__ = tables.api_tokens

    id: Mapped[int]
    user_id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[str]  # login | api
    token_hash: Mapped[str]
    prefix: Mapped[str]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
