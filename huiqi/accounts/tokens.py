"""Sign-in and tokens: passwords exchanged for sign-in tokens, API tokens for machine
clients, and the actor a token stands for (checked in ``huiqi.accounts.bearer``).

A token is random (``hq_…``), shown once and stored only as its SHA-256; it
expires, can be revoked, and stops working when its user is disabled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, NotSignedIn, require_role
from huiqi.accounts.bearer import actor_from_token as actor_from_token  # re-exported
from huiqi.accounts.credentials import new_token, token_digest, verify_password
from huiqi.accounts.models import ApiToken, User
from huiqi.accounts.roles import Role
from huiqi.accounts.service import actor_of, find_user
from huiqi.db.clock import utcnow
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.errors import AccountError, NotFoundError

LOGIN_DAYS = 7
API_DAYS = 90
MAX_TOKEN_DAYS = 366


@dataclass(frozen=True)
class TokenPublic:
    id: int
    username: str
    name: str
    kind: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


def _token_public(token: ApiToken, username: str) -> TokenPublic:
    return TokenPublic(
        token.id,
        username,
        token.name,
        token.kind,
        token.prefix,
        token.created_at,
        token.expires_at,
        token.revoked_at,
        token.last_used_at,
    )


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    client: str = "cli",
    days: int = LOGIN_DAYS,
    address: str | None = None,
) -> tuple[Actor, str]:
    """Check a password and issue a sign-in token; return the actor and the token (shown once).

    A refusal is recorded as a ``login_failed`` event in the caller's transaction; the
    caller commits it before passing the AccessDenied on (the CLI's ``login`` does).
    With the client's network ``address`` (the web sign-in), a second ``login_failed``
    event is recorded against ``client:<address>``, so that :mod:`huiqi.accounts.throttle`
    counts refusals per address through the events' entity index, across processes.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        name = username.strip()[:64] or "?"
        record_refusal(session, name=name, user=user, client=client, address=address)
        raise AccessDenied("wrong user name or password, or the account is disabled")
    secret = _issue(session, user, name=client, kind="login", days=days)
    record_event(
        session, actor=user.username, kind="login", entity=f"user:{user.id}", reason=client
    )
    return actor_of(user), secret


def sign_in_federated(
    session: Session,
    *,
    username: str,
    provider: str,
    client: str = "web",
    days: int = LOGIN_DAYS,
    address: str | None = None,
    detail: dict[str, str] | None = None,
) -> tuple[Actor, str]:
    """Issue a sign-in token for an existing account whose identity a trusted provider (an
    OpenID Connect single sign-on) has verified: no password, the same token, events and
    throttle as :func:`sign_in`. No account is created: a name without an enabled huiqi
    account is refused (``login_failed``) and the caller commits that refusal."""
    name = username.strip()[:64] or "?"
    user = session.scalar(select(User).where(User.username == name))
    if user is None or user.disabled:
        record_refusal(session, name=name, user=user, client=client, address=address, why=provider)
        raise AccessDenied(
            f"the single sign-on vouched for '{name}', but huiqi has no enabled account of that"
            " name; ask an administrator to create it ('huiqi user add')"
        )
    secret = _issue(session, user, name=client, kind="login", days=days)
    record_event(
        session,
        actor=user.username,
        kind="login",
        entity=f"user:{user.id}",
        reason=reasons.SIGNED_IN_WITH(client=client, provider=provider),
        data=detail,
    )
    return actor_of(user), secret


def record_refusal(
    session: Session,
    *,
    name: str,
    user: User | None,
    client: str,
    address: str | None,
    why: str = "",
) -> None:
    """``login_failed`` events for a refused sign-in: against the user (when known) and the
    client's address, which is what :mod:`huiqi.accounts.throttle` counts."""
    how = f"{client}, {why}" if why else client
    record_event(
        session,
        actor=name,
        kind="login_failed",
        entity=f"user:{user.id}" if user else None,
        reason=reasons.SIGN_IN_REFUSED(how=how),
    )
    if address:
        record_event(
            session,
            actor=name,
            kind="login_failed",
            entity=client_entity(address),
            reason=reasons.SIGN_IN_REFUSED_HERE(how=how),
        )


def client_entity(address: str) -> str:
    """The audit entity under which a network address's refused sign-ins are counted."""
    return f"client:{address}"[:64]


def _issue(session: Session, user: User, *, name: str, kind: str, days: int) -> str:
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError(f"a token lives 1 to {MAX_TOKEN_DAYS} days; got {days}")
    secret = new_token()
    session.add(
        ApiToken(
            user_id=user.id,
            name=name[:120],
            kind=kind,
            token_hash=token_digest(secret),
            prefix=secret[:10],
            expires_at=utcnow() + dt.timedelta(days=days),
        )
    )
    session.flush()
    return secret


def sign_out(session: Session, *, secret: str) -> bool:
    """Revoke the token a client holds (no actor check: holding it is the proof)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    # A sign-out is in the audit log as a sign-in is (the portal's and the CLI's).
    user = session.get(User, token.user_id)
    record_event(
        session,
        actor=user.username if user else "?",
        kind="logout",
        entity=f"user:{token.user_id}",
        reason=reasons.SIGNED_OUT(token=token.name),
    )
    return True


def create_token(
    session: Session,
    *,
    actor: Actor,
    name: str,
    days: int = API_DAYS,
    username: str | None = None,
) -> tuple[TokenPublic, str]:
    """An API token for a machine client: for oneself, or (admins) for another user such as
    the scheduler service account. The secret is returned once and stored only hashed."""
    if actor.user_id is None:
        raise NotSignedIn("sign in to create tokens")
    target = username or actor.username
    if target != actor.username:
        require_role(actor, "create tokens for other users", Role.ADMIN)
    user = find_user(session, target)
    if user.disabled:
        raise AccountError(f"'{target}' is disabled")
    secret = _issue(session, user, name=name, kind="api", days=days)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    assert token is not None
    record_event(
        session,
        actor=actor,
        kind="token_created",
        entity=f"token:{token.id}",
        reason=reasons.TOKEN_CREATED(name=name, user=target, days=days),
    )
    return _token_public(token, user.username), secret


def list_tokens(
    session: Session, *, actor: Actor, username: str | None = None
) -> list[TokenPublic]:
    """Tokens of one user (one's own; admins any user's, or everyone's with username '*')."""
    target = username or actor.username
    if target != actor.username:
        require_role(actor, "list other users' tokens", Role.ADMIN)
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if target != "*":
        find_user(session, target)  # a mistyped name listed no tokens, as if it had none
        query = query.where(User.username == target)
    return [_token_public(t, u) for t, u in session.execute(query.order_by(ApiToken.id))]


def get_revoked_at(session: Session, token_id: int) -> dt.datetime | None:
    """When a token was revoked (None: it was not, or there is no such token)."""
    found: dt.datetime | None = session.scalar(
        select(ApiToken.revoked_at).where(ApiToken.id == token_id)
    )
    return found


def revoke_token(session: Session, *, actor: Actor, token_id: int) -> TokenPublic:
    """Revoke a token: one's own, or any (admins)."""
    row = session.execute(
        select(ApiToken, User.username)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.id == token_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(
            f"no token {token_id}; 'huiqi token list' lists the token ids (an admin adds"
            " --user NAME for another user's)"
        )
    token, owner = row
    if owner != actor.username:
        require_role(actor, "revoke other users' tokens", Role.ADMIN)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(
            session,
            actor=actor,
            kind="token_revoked",
            entity=f"token:{token.id}",
            reason=reasons.TOKEN_REVOKED(name=token.name, user=owner),
        )
    return _token_public(token, owner)
