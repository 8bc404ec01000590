"""A park operator's own enterprises: those the ledger's directory and the latest snapshot
register in its parks, with their names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.delivery.models import DirectoryEntry

PARK_LIMIT = 20_000  # a park's enterprises on one page; the largest parks hold a few thousand


@dataclass(frozen=True)
class ParkEnterprise:
    uscc: str
    name: str | None
    park: str


def park_enterprises(
    session: Session, *, actor: Actor, settings: Settings | None = None
) -> list[ParkEnterprise]:
    """The enterprises of the parks the actor operates, by park, then USCC: those the
    ledger's directory registers there and, with ``settings``, every one the latest
    snapshot does (regression: the park's table listed only those the ledger had
    delivered to, 155 of a park's 249)."""
    require_role(actor, "list a park's enterprises", Role.PARK_OPERATOR)
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    rows = session.execute(
        select(DirectoryEntry.uscc, DirectoryEntry.name, DirectoryEntry.park)
        .where(DirectoryEntry.park.in_(parks))
        .order_by(DirectoryEntry.park, DirectoryEntry.uscc)
        .limit(PARK_LIMIT)
    ).all()
    found = {u: ParkEnterprise(u, n, p or "") for u, n, p in rows}
    for e in _from_snapshot(settings, parks) if settings is not None else []:
        found.setdefault(e.uscc, e)
    return sorted(found.values(), key=lambda e: (e.park, e.uscc))[:PARK_LIMIT]


def _from_snapshot(settings: Settings, parks: list[str]) -> list[ParkEnterprise]:
    """The latest snapshot's members of ``parks`` (none without a snapshot)."""
    from huiqi.errors import StoreError
    from huiqi.profiles.directory import park_members
    from huiqi.profiles.store import ProfileStore

    try:
        latest = ProfileStore(settings).latest_snapshot()
        members = park_members(settings, latest, parks, PARK_LIMIT)
    except StoreError:
        return []
    return [ParkEnterprise(m.uscc, m.name, m.park or "") for m in members]
