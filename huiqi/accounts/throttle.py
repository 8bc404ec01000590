"""Sign-in throttling: too many refused sign-ins for one user name (from one network
address, or from all together), or from one address, within a window stop further
attempts for a while. The portal and the command line (address ``local``) both check it.

The count comes from the audit log's ``login_failed`` events (``sign_in`` records
them), not from a process's memory, so it holds across the web server's worker
processes and its restarts. Existing users are counted through the events' entity
index (``user:<id>``), addresses through ``client:<address>``; a name that is no
user is counted over the newest events only (a bounded scan by id), so that
throttling does not reveal which names exist.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.models import User
from huiqi.accounts.tokens import client_entity
from huiqi.config import env_int
from huiqi.db.clock import utcnow
from huiqi.delivery.models import Event

FAILED = "login_failed"
# How far back an unknown name's refusals are looked for, in events (a bounded scan).
RECENT_EVENTS = 50_000


class SignInThrottled(AccessDenied):
    """Too many refused sign-ins: the user name or address must wait before trying again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``per_user`` refusals for one user name from one network address,
    ``per_user_total`` for it from all addresses together, and ``per_address`` from one
    address, within ``window``; then attempts wait until the oldest refusal leaves the
    window.

    A user name is counted per address first: five wrong passwords from anyone's address
    kept the user out everywhere (an anonymous caller could lock an officer out with five
    requests every fifteen minutes); the total still stops a guesser spread over many
    addresses."""

    per_user: int = 5
    per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    per_user_total: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ThrottlePolicy:
        """``HUIQI_WEB_LOGIN_PER_USER``, ``HUIQI_WEB_LOGIN_PER_USER_TOTAL``,
        ``HUIQI_WEB_LOGIN_PER_ADDRESS`` and ``HUIQI_WEB_LOGIN_WINDOW_MINUTES``."""
        base = cls()
        return cls(
            per_user=env_int(env, "HUIQI_WEB_LOGIN_PER_USER", base.per_user),
            per_address=env_int(env, "HUIQI_WEB_LOGIN_PER_ADDRESS", base.per_address),
            window=dt.timedelta(minutes=env_int(env, "HUIQI_WEB_LOGIN_WINDOW_MINUTES", 15)),
            per_user_total=env_int(env, "HUIQI_WEB_LOGIN_PER_USER_TOTAL", base.per_user_total),
        )


def _count(
    session: Session, since: dt.datetime, *where: ColumnElement[bool]
) -> tuple[int, dt.datetime | None]:
    row = session.execute(
        select(func.count(), func.min(Event.at)).where(
            Event.kind == FAILED, Event.at >= since, *where
        )
    ).one()
    return int(row[0] or 0), row[1]


def _by_user(session: Session, since: dt.datetime, username: str) -> tuple[int, dt.datetime | None]:
    name = username.strip()[:64] or "?"
    user_id = session.scalar(select(User.id).where(User.username == name))
    if user_id is not None:
        return _count(session, since, Event.entity == f"user:{user_id}")
    newest = session.scalar(select(func.max(Event.id))) or 0
    return _count(
        session,
        since,
        Event.id > newest - RECENT_EVENTS,
        Event.entity.is_(None),
        Event.actor == name,
    )


def check_sign_in_allowed(
    session: Session,
    *,
    username: str | None,
    address: str | None,
    policy: ThrottlePolicy | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Raise :class:`SignInThrottled` when this user name or address has had too many
    refused sign-ins within the window; otherwise return (the password is checked next).
    ``username=None`` checks the address alone (a single sign-on's answer, before the
    name it vouches for is known)."""
    rule = policy or ThrottlePolicy()
    at = now or utcnow()
    since = at - rule.window
    checks: list[tuple[tuple[int, dt.datetime | None], int, str]] = []
    if username is not None:
        name = username.strip()[:64] or "?"
        if address:
            from_here = _count(
                session, since, Event.entity == client_entity(address), Event.actor == name
            )
            checks.append((from_here, rule.per_user, "this user name from this address"))
        checks.append(
            (
                _by_user(session, since, username),
                rule.per_user_total if address else rule.per_user,
                "this user name",
            )
        )
    if address:
        checks.append(
            (
                _count(session, since, Event.entity == client_entity(address)),
                rule.per_address,
                "this address",
            )
        )
    for (count, oldest), limit, what in checks:
        if count >= limit:
            wait = rule.window - (at - oldest) if oldest is not None else rule.window
            seconds = max(1, math.ceil(wait.total_seconds()))
            raise SignInThrottled(
                f"too many refused sign-ins for {what}; try again in {math.ceil(seconds / 60)} min",
                retry_after=seconds,
            )
