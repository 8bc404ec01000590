"""What an account's user name and email address may be: checked as typed, before the
account service stores them (:mod:`huiqi.accounts.service`)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.accounts.models import User
from huiqi.errors import AccountError


def check_username(username: str) -> str:
    name = username.strip()
    # No spaces and no control or unassigned characters (a NUL cannot even be stored on
    # PostgreSQL, and no sign-in form lets anyone type one): a name is typed at sign-in.
    if (
        not name
        or len(name) > 64
        or any(c.isspace() or unicodedata.category(c).startswith("C") for c in name)
    ):
        raise AccountError(
            f"{username!r} is not a user name: 1–64 characters, no spaces or control characters",
            field="username",
        )
    plain = unicodedata.normalize("NFKC", name)
    if plain != name:
        # 'ａｄｍｉｎ' (full-width) reads as 'admin' on a page or in the audit log.
        raise AccountError(
            f"{username!r} holds full-width or compatibility characters that read as"
            f" {plain!r}; write the name as {plain!r}",
            field="username",
        )
    return name


def check_new_name(session: Session, name: str) -> None:
    """Refuse a name taken, or one that differs from a user's only in letter case ('Admin'
    beside 'admin' would read as the same person in the audit log)."""
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AccountError(
            f"user '{name}' exists; change it with 'huiqi user change'", field="username"
        )
    # A scan of the users, once per user added by an admin: no index for this.
    like = session.scalar(select(User.username).where(func.lower(User.username) == name.lower()))
    if like is not None:
        raise AccountError(
            f"'{name}' differs from the user '{like}' only in letter case; choose a name that"
            " cannot be mistaken for it",
            field="username",
        )


EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def check_email(email: str | None) -> str | None:
    """An address as it will be stored (None when empty), or AccountError."""
    if email is None:
        return None
    text = email.strip()
    if not text:
        return None
    if (
        len(text) > 254
        or not EMAIL.fullmatch(text)
        or any(unicodedata.category(c).startswith("C") for c in text)
    ):
        raise AccountError(
            f"{email[:80]!r} is not an email address; write it as name@example.gov.cn",
            field="email",
        )
    return text
