"""Signed-in actors for tests and benchmarks, one per role (built directly, no database)."""

from __future__ import annotations

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant

OFFICER = Actor(
    "officer",
    (
        RoleGrant(Role.POLICY_AUTHOR, "*"),
        RoleGrant(Role.POLICY_PUBLISHER, "*"),
        RoleGrant(Role.POLICY_REVIEWER, "*"),
    ),
)
FINANCE = Actor("finance", (RoleGrant(Role.FINANCE_OFFICER),))
SCHEDULER = Actor("scheduler", (RoleGrant(Role.SCHEDULER),))
ADMIN = Actor("admin", (RoleGrant(Role.ADMIN),))
STEWARD = Actor("steward", (RoleGrant(Role.DATA_STEWARD),))


def enterprise(uscc: str) -> Actor:
    """The user of one enterprise (the USCC is not re-checked, so test codes may be plain)."""
    return Actor(f"u-{uscc}", (RoleGrant(Role.ENTERPRISE, uscc),))


def park_operator(park: str) -> Actor:
    return Actor(f"op-{park}", (RoleGrant(Role.PARK_OPERATOR, park),))


def officer(scope: str, *roles: Role) -> Actor:
    chosen = roles or (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER, Role.POLICY_REVIEWER)
    return Actor(f"officer-{scope}", tuple(RoleGrant(r, scope) for r in chosen))
