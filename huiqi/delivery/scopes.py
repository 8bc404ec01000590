"""Which policies an officer reads: its policy scopes as conditions on policy versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_

from huiqi.accounts.access import Actor, policy_scope_filter
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.delivery.tables import policy_versions as versions


def policy_scope_clauses(actor: Actor, officers: tuple[Role, ...]) -> list[Any] | None:
    """Conditions on the policy_versions table (which PolicyVersion maps) for the policies
    ``actor`` reads as one of ``officers`` (any one suffices); None when it reads every
    policy."""
    scopes = policy_scope_filter(actor, *[r for r in officers if r in POLICY_ROLES])
    if scopes is None:
        return None
    clauses: list[Any] = []
    for scope in scopes:
        if scope and scope.startswith("district:"):
            clauses.append(
                and_(
                    versions.c.level == "district",
                    versions.c.region == scope.removeprefix("district:"),
                )
            )
        elif scope and scope.startswith("department:"):
            clauses.append(versions.c.department == scope.removeprefix("department:"))
    return clauses
