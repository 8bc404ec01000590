"""Who may do what: every delivery operation checks its actor's role (and enterprise)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.models import ROLES, User
from huiqi.errors import HuiqiError, NotFoundError


class AccessDenied(HuiqiError):
    """The actor's role or enterprise does not allow this operation."""

    exit_code = 5


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    uscc: str | None = None


SYSTEM = Actor("system", "admin")


def require(actor: Actor, *roles: str, uscc: str | None = None) -> None:
    """Allow admins, the listed roles, and (when ``uscc`` is given) that enterprise's users."""
    if actor.role == "admin" or actor.role in roles:
        return
    if uscc is not None and actor.role == "enterprise" and actor.uscc == uscc:
        return
    who = f"{actor.username} ({actor.role}{', ' + actor.uscc if actor.uscc else ''})"
    allowed = ", ".join([*roles, "admin"] + (["the enterprise itself"] if uscc else []))
    raise AccessDenied(f"{who} may not do this; allowed: {allowed}")


def actor_for(session: Session, username: str) -> Actor:
    """The Actor for a registered user name ('system' is the built-in administrator)."""
    if username == SYSTEM.username:
        return SYSTEM
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user '{username}'; add one with 'huiqi user add'")
    return Actor(user.username, user.role, user.uscc)


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    uscc: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
) -> User:
    if role not in ROLES:
        raise HuiqiError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    if role == "enterprise" and not uscc:
        raise HuiqiError("an enterprise user needs the USCC of its enterprise (--uscc)")
    user = User(username=username, role=role, uscc=uscc, email=email, display_name=display_name)
    session.add(user)
    return user
