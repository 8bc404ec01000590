"""Which policies an officer reads: its policy scopes as conditions on policy versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_

from huiqi.accounts.access import Actor, policy_scope_terms
from huiqi.accounts.roles import Role
from huiqi.delivery.tables import policy_versions as versions


def policy_scope_clauses(actor: Actor, officers: tuple[Role, ...]) -> list[Any] | None:
    """Conditions on the policy_versions table (which PolicyVersion maps) for the policies
    ``actor`` reads as one of ``officers`` (any one suffices); None when it reads every
    policy."""
    terms = policy_scope_terms(actor, officers)
    if terms is None:
        return None
    return [
        and_(versions.c.level == "district", versions.c.region == value)
        if kind == "district"
        else versions.c.department == value
        for kind, value in terms
    ]
