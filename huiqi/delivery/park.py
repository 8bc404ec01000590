"""A park operator's own enterprises: those the ledger's directory and the latest snapshot
register in its parks, with their names."""

from __future__ import annotations

import functools
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
    from huiqi.profiles.store import ProfileStore

    store = ProfileStore(settings)
    try:
        latest = store.latest_snapshot()
        stamp = store.snapshot_dir(latest).stat().st_mtime_ns
        return list(_members(settings, latest, stamp, tuple(sorted(parks))))
    except (StoreError, OSError):
        return []


@functools.lru_cache(maxsize=64)
def _members(
    settings: Settings, snapshot_id: int, stamp: int, parks: tuple[str, ...]
) -> tuple[ParkEnterprise, ...]:
    """A frozen snapshot's park members, kept: a park operator's every home page asked
    DuckDB again. ``stamp`` (the snapshot folder's time) keys out a data directory rebuilt
    with the same snapshot ids."""
    from huiqi.profiles.directory import park_members

    members = park_members(settings, snapshot_id, parks, PARK_LIMIT)
    return tuple(ParkEnterprise(m.uscc, m.name, m.park or "") for m in members)
