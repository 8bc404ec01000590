"""Who sees and who handles which request.

An enterprise sees its own requests, a park operator those of its park's enterprises; a
desk officer or head sees and handles the requests of the departments its scopes name
(``department:<name>``), or of every department with ``*``. Nobody else does, the
admin included.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from huiqi.accounts import reliance
from huiqi.accounts.access import AccessDenied, Actor, acts_for
from huiqi.accounts.roles import DESK_ROLES, Role
from huiqi.delivery.models import DirectoryEntry
from huiqi.desk.models import DeskRequest


def desk_departments(actor: Actor, *roles: Role) -> list[str] | None:
    """The departments whose requests the actor handles (None: every department)."""
    scopes = [g.scope for g in actor.grants if g.role in (roles or DESK_ROLES)]
    if "*" in scopes:
        return None
    return [s.removeprefix("department:") for s in scopes if s and s.startswith("department:")]


def handles(actor: Actor, department: str, *roles: Role) -> bool:
    found = desk_departments(actor, *roles)
    return found is None or department in found


def request_filter(actor: Actor) -> Any:
    """A WHERE clause for the requests the actor may read (false() for nobody)."""
    clauses: list[Any] = []
    depts = desk_departments(actor) if actor.has(*DESK_ROLES) else []
    if depts is None:
        return None
    if depts:
        clauses.append(DeskRequest.department.in_(depts))
    own = [s for s in actor.scopes(Role.ENTERPRISE) if s]
    if own:
        clauses.append(DeskRequest.uscc.in_(own))
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    if parks:
        clauses.append(
            DeskRequest.uscc.in_(select(DirectoryEntry.uscc).where(DirectoryEntry.park.in_(parks)))
        )
    return or_(false(), *clauses)


def _handles(actor: Actor, req: DeskRequest) -> bool:
    """Whether a desk role of the actor handles ``req``; one scoped to departments does
    while the request is with one of them, which is noted (huiqi.accounts.reliance): a
    transfer takes it away."""
    if not actor.has(*DESK_ROLES):
        return False
    found = desk_departments(actor)
    if found is None:
        return True
    if req.department in found:
        reliance.note("request", str(req.id))
        return True
    return False


def may_read(session: Session, actor: Actor, req: DeskRequest) -> bool:
    return _handles(actor, req) or acts_for(session, actor, req.uscc)


def _still_reads(session: Session, actor: Actor, request_id: str) -> bool:
    req = session.get(DeskRequest, int(request_id))
    return req is not None and may_read(session, actor, req)


reliance.register("request", _still_reads)


# Which department holds a request is the request's own: a refusal names it to a desk
# officer (who may turn to that department), never to an enterprise or park operator
# asking for a request that is not its own, which learnt where another's request went
# (docs/api.md: a 403 for another's record tells nothing about it).
NOT_YOURS = "the desk officers of the request's department"


def _desk_of(actor: Actor, req: DeskRequest) -> str:
    return f"desk officers of {req.department}" if actor.has(*DESK_ROLES) else NOT_YOURS


def require_reads(session: Session, actor: Actor, req: DeskRequest) -> None:
    if not may_read(session, actor, req):
        raise AccessDenied(
            f"{actor.describe()} may not read request {req.id}; allowed: the enterprise itself,"
            f" its park operator, {_desk_of(actor, req)}"
        )


def require_handles(actor: Actor, req: DeskRequest, what: str) -> None:
    if not _handles(actor, req):
        raise AccessDenied(
            f"{actor.describe()} may not {what} request {req.id}; allowed: {_desk_of(actor, req)}"
        )
