"""Passwords (argon2id) and bearer tokens (random, stored as SHA-256)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from huiqi.accounts.tokencheck import token_digest
from huiqi.errors import HuiqiError

__all__ = ["hash_password", "needs_rehash", "new_token", "token_digest", "verify_password"]

TOKEN_PREFIX = "hq_"
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a
    wrong password. Made on first use: an argon2 hash is slow on purpose, and every
    command that imports this module would otherwise pay for it at start-up."""
    return _hasher.hash("huiqi-no-such-user")


class WeakPassword(HuiqiError):
    """A new password is too short or too plain."""

    field = "password"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD} characters")
    if len(set(password)) < 4:
        raise WeakPassword("a password needs at least 4 different characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (always takes one argon2 verification)."""
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_token() -> str:
    """A bearer token with 256 bits of randomness."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)
