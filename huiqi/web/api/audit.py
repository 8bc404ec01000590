"""``/api/v1/audit``: the audit log, for admins: the newest events first, filtered by
enterprise, entity, kind and actor, one page at a time by keyset (``before_id``, the id
the next page starts below: never an offset); and the check of its hash chains (as
``huiqi audit verify``). The same service calls as the console's audit page
(``delivery.service.audit_log``, ``verify_audit``), which check the admin role.

A filter the log cannot hold (longer than its column, a control character, an entity not
written ``kind:id``) is a 422 naming the parameter, never a server error."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel

from huiqi.accounts.roles import Role
from huiqi.db.engine import reading
from huiqi.delivery import service as ledger
from huiqi.delivery.audit import ChainReport
from huiqi.delivery.rows import EventRow
from huiqi.web.api.fields import NoControl
from huiqi.web.api.times import Utc
from huiqi.web.api.v1 import ERRORS, Limit
from huiqi.web.deps import Factory, SignedIn, actor_of, role_gate

router = APIRouter(prefix="/api/v1/audit", responses=ERRORS, tags=["audit"])
LONGEST = 64  # the longest kind, actor or entity the log stores
# An object's trail as the log names it: kind:id (grant:12, user:3, batch:7).
ENTITY = r"^[a-z_]+:[\x21-\x7e]+$"


def _code(value: str | None) -> str | None:
    return (value or "").strip().upper() or None


Uscc = Annotated[
    str | None,
    Query(max_length=18, description="one enterprise's trail, by its USCC"),
    AfterValidator(_code),
]
Filter = Annotated[str | None, Query(max_length=LONGEST), NoControl]
Entity = Annotated[
    str | None,
    Query(
        max_length=LONGEST,
        pattern=ENTITY,
        description="an object's trail, kind:id (grant:12 includes its bulk-grant chunk"
        " and the batches that hold it; user:3, batch:7)",
    ),
]
Before = Annotated[
    int | None,
    Query(ge=1, le=2**62, description="the last id of the previous page: older events"),
]


class EventPublic(BaseModel):
    id: int
    chain: int
    seq: int
    at: Utc
    actor: str
    kind: str
    uscc: str | None
    entity: str | None
    reason: str | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, e: EventRow) -> EventPublic:
        return cls(
            id=e.id,
            chain=e.chain,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            kind=e.kind,
            uscc=e.uscc,
            entity=e.entity,
            reason=e.reason,
            data=e.data,
        )


class AuditCheckPublic(BaseModel):
    ok: bool
    checked: int  # events whose hash was recomputed
    broken_seq: int | None  # the first broken event, when not ok
    broken_id: int | None
    problem: str | None

    @classmethod
    def of(cls, r: ChainReport) -> AuditCheckPublic:
        return cls(
            ok=r.ok,
            checked=r.checked,
            broken_seq=r.broken_seq,
            broken_id=r.broken_id,
            problem=r.problem,
        )


@router.get("", dependencies=[role_gate("read the audit log", Role.ADMIN)])
def audit_log(
    factory: Factory,
    who: SignedIn,
    uscc: Uscc = None,
    entity: Entity = None,
    kind: Filter = None,
    by: Annotated[
        str | None,
        Query(max_length=LONGEST, description="the events of one actor (a user name)"),
        NoControl,
    ] = None,
    before_id: Before = None,
    limit: Limit = 50,
) -> list[EventPublic]:
    """Audit events, newest first (admins): who did what, when and why. The next page is
    ``before_id=<the last id of this one>`` with the same filters."""
    with reading(factory) as s:
        rows = ledger.audit_log(
            s,
            actor=actor_of(who),
            uscc=uscc,
            entity=entity or None,
            kind=kind or None,
            by=by or None,
            before_id=before_id,
            limit=limit,
        )
    return [EventPublic.of(e) for e in rows]


@router.get("/verify", dependencies=[role_gate("verify the audit log", Role.ADMIN)])
def verify(factory: Factory, who: SignedIn) -> AuditCheckPublic:
    """Recompute every event's hash along its chain, the bulk-grant chunks' and the
    disbursement batches' members (as ``huiqi audit verify``; admins): ``ok``, how many
    events were checked, and the first broken one with what is wrong."""
    with reading(factory) as s:
        return AuditCheckPublic.of(ledger.verify_audit(s, actor=actor_of(who)))
