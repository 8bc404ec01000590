"""Whether a role's scope names something that exists, said as a warning when a user is
given it (the role is still granted: a department or park may come later).

A desk officer scoped to ``department:市财政厅`` (for 市财政局) or a park operator of a park
no enterprise is registered in sees nothing, and nobody is told why; ``huiqi user add`` and
``change`` print what this finds.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.roles import DESK_ROLES, Role, RoleGrant

_SHOWN = 12  # names listed in a warning


def _listed(names: Iterable[str]) -> str:
    found = sorted(n for n in set(names) if n)
    more = f", … ({len(found)} in all)" if len(found) > _SHOWN else ""
    return ", ".join(found[:_SHOWN]) + more if found else "none yet"


def scope_warnings(session: Session, grants: Iterable[RoleGrant]) -> list[str]:
    """What each scope names that the ledger does not know, one line each."""
    from huiqi.delivery.tables import enterprise_directory as directory
    from huiqi.desk.routing import departments

    said: list[str] = []
    for g in grants:
        scope = g.scope or ""
        if g.role in DESK_ROLES and scope.startswith("department:"):
            name = scope.removeprefix("department:")
            known = departments(session)
            if name not in known:
                said.append(
                    f"{g}: the desk has no department '{name}' (departments: {_listed(known)});"
                    " the user sees no request until one is routed there"
                )
        elif g.role == Role.PARK_OPERATOR and scope:
            hit = session.scalar(select(directory.c.uscc).where(directory.c.park == scope).limit(1))
            if hit is None:
                parks = session.scalars(select(directory.c.park).distinct().limit(200))
                said.append(
                    f"{g}: no enterprise the ledger knows is registered in park '{scope}'"
                    f" (parks: {_listed(p for p in parks if p)}); the user sees no enterprise"
                    " until one is"
                )
    return said
