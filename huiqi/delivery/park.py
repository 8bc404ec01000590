"""A park operator's own enterprises: those the ledger's directory registers in its parks
(the directory is refreshed from each snapshot), with their names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery.models import DirectoryEntry

PARK_LIMIT = 20_000  # a park's enterprises on one page; the largest parks hold a few thousand


@dataclass(frozen=True)
class ParkEnterprise:
    uscc: str
    name: str | None
    park: str


def park_enterprises(session: Session, *, actor: Actor) -> list[ParkEnterprise]:
    """The enterprises of the parks the actor operates, by park, then USCC."""
    require_role(actor, "list a park's enterprises", Role.PARK_OPERATOR)
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    rows = session.execute(
        select(DirectoryEntry.uscc, DirectoryEntry.name, DirectoryEntry.park)
        .where(DirectoryEntry.park.in_(parks))
        .order_by(DirectoryEntry.park, DirectoryEntry.uscc)
        .limit(PARK_LIMIT)
    ).all()
    return [ParkEnterprise(u, n, p or "") for u, n, p in rows]
