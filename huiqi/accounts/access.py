"""Who may do what. Every service function calls one of these checks itself.

An :class:`Actor` is a signed-in user with the roles (and scopes) it holds. The
checks name the roles an operation allows; nobody is allowed by default, the
admin included: an admin manages accounts and reads the audit log, and holds
other roles only where an operation's rule names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from huiqi.accounts import reliance
from huiqi.accounts.roles import POLICY_ROLES, Role, RoleGrant, policy_in_scope
from huiqi.errors import HuiqiError

if TYPE_CHECKING:
    from huiqi.db.engine import Reads


class AccessDenied(HuiqiError):
    """The actor's roles or scopes do not allow this operation."""

    exit_code = 5


class NotSignedIn(AccessDenied):
    """An operation needs a signed-in user and there is none."""


@dataclass(frozen=True)
class Actor:
    """A signed-in user (or service account) and the roles it holds."""

    username: str
    grants: tuple[RoleGrant, ...] = field(default_factory=tuple)
    user_id: int | None = None
    # The token (a session cookie, a CLI sign-in or an API token) the request came with,
    # which the audit log records beside the user's name: an admin can create a token for
    # another user, and the events must show which credential acted. Not part of who the
    # actor is (equality, hashing).
    token_id: int | None = field(default=None, compare=False)

    @classmethod
    def of(cls, username: str, *grants: str | RoleGrant, user_id: int | None = None) -> Actor:
        """``Actor.of("ent1", "enterprise=9131...")``: grants as typed on the command line."""
        parsed = tuple(g if isinstance(g, RoleGrant) else RoleGrant.parse(g) for g in grants)
        return cls(username, tuple(sorted(set(parsed))), user_id)

    def has(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def scopes(self, role: Role) -> list[str | None]:
        return [g.scope for g in self.grants if g.role is role]

    def describe(self) -> str:
        return f"{self.username} ({', '.join(map(str, self.grants)) or 'no roles'})"


def _role_rank(text: str) -> int:
    """Where a role named at the start of ``text`` stands in ``Role`` (-1: no role)."""
    return next((i for i, r in enumerate(Role) if text == r or text.startswith(f"{r} ")), -1)


def _deny(actor: Actor, what: str, allowed: Iterable[str]) -> AccessDenied:
    # Roles in Role's order, whatever order a set of them was unpacked in (the message
    # was different from one process to the next); other texts first, as given.
    names = sorted(dict.fromkeys(map(str, allowed)), key=_role_rank)
    return AccessDenied(f"{actor.describe()} may not {what}; allowed: {', '.join(names)}")


def require_role(actor: Actor, what: str, *roles: Role) -> None:
    """Allow actors holding any of ``roles`` (whatever the scope)."""
    if not actor.has(*roles):
        raise _deny(actor, what, roles)


def park_of(session: Reads, uscc: str) -> str | None:
    """The park an enterprise is registered in, as the ledger's directory knows it."""
    # SQLAlchemy is imported here: the actor and the checks are also what the command
    # line's quick listings use, which read through the driver (huiqi.cli.quick).
    from sqlalchemy import select

    from huiqi.delivery.tables import enterprise_directory as directory

    park: str | None = session.scalar(select(directory.c.park).where(directory.c.uscc == uscc))
    return park


def acts_for(session: Reads, actor: Actor, uscc: str) -> bool:
    """Whether the actor is this enterprise, or the operator of the park it is in (which
    rests on the directory's data, so it is noted: :mod:`huiqi.accounts.reliance`)."""
    if uscc in actor.scopes(Role.ENTERPRISE):
        return True
    parks = actor.scopes(Role.PARK_OPERATOR)
    if parks and park_of(session, uscc) in parks:
        reliance.note("enterprise", uscc)
        return True
    return False


reliance.register("enterprise", acts_for)


def require_enterprise(session: Reads, actor: Actor, uscc: str, what: str, *officers: Role) -> None:
    """Allow the enterprise itself, the operator of its park, and any of ``officers``."""
    if actor.has(*officers) or acts_for(session, actor, uscc):
        return
    raise _deny(actor, what, ["the enterprise itself", "its park operator", *map(str, officers)])


def require_own_enterprise(session: Reads, actor: Actor, uscc: str, what: str) -> None:
    """Only the enterprise itself or its park operator (a claim, a submission)."""
    require_enterprise(session, actor, uscc, what)


@dataclass(frozen=True)
class PolicyRef:
    """What a policy scope is checked against."""

    level: str
    region: str
    department: str | None


def in_policy_scope(actor: Actor, policy: PolicyRef, *roles: Role) -> bool:
    return any(
        g.role in roles
        and policy_in_scope(
            g.scope, level=policy.level, region=policy.region, department=policy.department
        )
        for g in actor.grants
    )


def require_policy_scope(
    actor: Actor, policy: PolicyRef, what: str, *roles: Role, also: Iterable[Role] = ()
) -> None:
    """Allow holders of ``roles`` whose policy scope covers this policy, and ``also`` roles."""
    extra = tuple(also)
    if in_policy_scope(actor, policy, *roles) or actor.has(*extra):
        return
    where = f"{policy.level} {policy.region}" + (
        f", {policy.department}" if policy.department else ""
    )
    raise _deny(
        actor, what, [f"{r} with a scope covering {where}" for r in roles] + [str(r) for r in extra]
    )


def policy_scope_filter(actor: Actor, *roles: Role) -> list[str | None] | None:
    """The policy scopes an actor reads with ``roles``: None when it reads every policy."""
    scopes = [g.scope for g in actor.grants if g.role in roles]
    if "*" in scopes:
        return None
    return scopes


def policy_scope_terms(actor: Actor, officers: Iterable[Role]) -> list[tuple[str, str]] | None:
    """The policy scopes ``actor`` reads as one of ``officers``, as (``district``, code) and
    (``department``, name) terms; None when it reads every policy."""
    scopes = policy_scope_filter(actor, *[r for r in officers if r in POLICY_ROLES])
    if scopes is None:
        return None
    terms: list[tuple[str, str]] = []
    for scope in scopes:
        if scope and scope.startswith("district:"):
            terms.append(("district", scope.removeprefix("district:")))
        elif scope and scope.startswith("department:"):
            terms.append(("department", scope.removeprefix("department:")))
    return terms


def reads_every_policy(actor: Actor, officers: Iterable[Role]) -> bool:
    """Whether ``actor`` reads every policy as one of ``officers`` (a policy role of them
    held with the scope ``*``)."""
    return policy_scope_filter(actor, *[r for r in officers if r in POLICY_ROLES]) is None
