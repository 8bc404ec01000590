"""Who may see one enterprise's data: the enterprise itself, the operator of its park
(by the ledger's directory, or by the snapshot when the ledger has not delivered to it
yet), and the officers the caller names."""

from __future__ import annotations

import duckdb
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, acts_for
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.errors import StoreError
from huiqi.profiles.directory import EnterpriseIdentity, identities
from huiqi.profiles.store import ProfileStore


def acts_for_enterprise(
    settings: Settings, session: Session, actor: Actor, uscc: str, snapshot_id: int | None
) -> bool:
    """The enterprise itself, or its park's operator (by the ledger or the snapshot)."""
    if acts_for(session, actor, uscc):
        return True
    return park_member(settings, actor, uscc, snapshot_id) is not None


def park_member(
    settings: Settings, actor: Actor, uscc: str, snapshot_id: int | None = None
) -> EnterpriseIdentity | None:
    """The enterprise, when the snapshot (default: the latest) puts it in a park the actor
    operates: park membership is the data's, whether or not the ledger has delivered to it."""
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    if not parks:
        return None
    store = ProfileStore(settings)
    try:
        sid = snapshot_id if snapshot_id is not None else store.latest_snapshot()
        found = identities(settings, sid, [uscc])
    except (StoreError, duckdb.Error):
        return None  # no data to say which park the enterprise is in
    return found[0] if found and found[0].park in parks else None


def require_sees_enterprise(
    settings: Settings,
    session: Session,
    actor: Actor,
    uscc: str,
    what: str,
    *officers: Role,
    snapshot_id: int | None = None,
) -> None:
    """Allow the enterprise, its park operator and holders of ``officers``; else AccessDenied."""
    if actor.has(*officers) or acts_for_enterprise(settings, session, actor, uscc, snapshot_id):
        return
    allowed = ["the enterprise itself", "its park operator", *map(str, officers)]
    raise AccessDenied(f"{actor.describe()} may not {what}; allowed: {', '.join(allowed)}")
