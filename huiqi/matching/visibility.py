"""Who may see one enterprise's data: the enterprise itself, the operator of its park
(by the ledger's directory, or by the snapshot when the ledger has not delivered to it
yet), and the officers the caller names."""

from __future__ import annotations

import duckdb
from sqlalchemy.orm import Session

from huiqi.accounts import reliance
from huiqi.accounts.access import AccessDenied, Actor, acts_for
from huiqi.accounts.districts import district_of, officer_districts, require_in_districts
from huiqi.accounts.roles import POLICY_ROLES, Role
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
    found = snapshot_identity(settings, uscc, snapshot_id)
    if found and found.park in parks:
        # Data that may change (huiqi.accounts.reliance): a kept answer resting on it is
        # given again only while the ledger's directory puts the enterprise in the park.
        reliance.note("enterprise", uscc)
        return found
    return None


def snapshot_identity(
    settings: Settings, uscc: str, snapshot_id: int | None = None
) -> EnterpriseIdentity | None:
    """The enterprise's name, district and park in the snapshot (default: the latest);
    None when no data say (no snapshot, or the enterprise is not in it)."""
    store = ProfileStore(settings)
    try:
        sid = snapshot_id if snapshot_id is not None else store.latest_snapshot()
        found = identities(settings, sid, [uscc])
    except (StoreError, duckdb.Error):
        return None
    return found[0] if found else None


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


def require_officer_district(
    settings: Settings,
    session: Session,
    actor: Actor,
    uscc: str,
    what: str,
    snapshot_id: int | None = None,
) -> None:
    """Refuse a district officer ``what`` about an enterprise of another district, or of
    none (huiqi.accounts.districts). The ledger's directory says which district, else the
    snapshot: an officer also asks about enterprises the ledger has not delivered to."""
    districts = officer_districts(actor, POLICY_ROLES)
    if districts is None:
        return
    district = enterprise_district(settings, session, uscc, snapshot_id)
    require_in_districts(actor, uscc, district, districts, what)


def enterprise_district(
    settings: Settings, session: Session, uscc: str, snapshot_id: int | None = None
) -> str | None:
    """The district the ledger's directory records for the enterprise, else the
    snapshot's (an officer also asks about enterprises the ledger has not delivered to)."""
    district = district_of(session, uscc)
    if district is None:
        found = snapshot_identity(settings, uscc, snapshot_id)
        district = found.district_code if found else None
    return district


def city_wide(actor: Actor) -> bool:
    """Whether the actor reads every enterprise of the city as a policy officer: it holds a
    policy role of every policy (``*``, or no scope)."""
    return any(g.role in POLICY_ROLES and g.scope in (None, "*") for g in actor.grants)


def reaches(level: str, region: str, district: str | None) -> bool:
    """Whether a policy of ``level`` and ``region`` is about an enterprise of ``district``:
    a city policy about every enterprise, a district's about that district's."""
    return level != "district" or (district is not None and region == district)
