"""Reading the ledger: records, grants, applications, versions, batches and the audit log.

Each function takes the session and the actor, checks access itself and returns
typed rows. What an actor sees is cut to its scope: an enterprise its own rows,
a park operator its park's enterprises, a policy officer the policies its scope
covers; finance officers and admins read everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import (
    AccessDenied,
    Actor,
    require_enterprise,
    require_role,
)
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.delivery import chunkaudit
from huiqi.delivery.audit import ChainReport, verify_chain
from huiqi.delivery.models import (
    Application,
    Batch,
    BatchItem,
    DirectoryEntry,
    Entitlement,
    Event,
    Grant,
    PolicyVersion,
)
from huiqi.delivery.rows import (
    ApplicationRow,
    BatchRow,
    EventRow,
    GrantRow,
    RecordRow,
    VersionRow,
)
from huiqi.delivery.scopes import policy_scope_clauses
from huiqi.delivery.statuses import GrantStatus, MatchStatus, RecordStatus, parse_status
from huiqi.errors import NotFoundError

MAX_LIMIT = 10_000
_READ_ALL = (Role.FINANCE_OFFICER, Role.ADMIN)


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _scoped(
    session: Session,
    actor: Actor,
    query: Any,
    uscc_col: Any,
    officers: tuple[Role, ...],
    uscc: str | None,
) -> Any:
    """Cut a query joined to PolicyVersion down to what the actor may read."""
    if uscc is not None:
        require_enterprise(
            session, actor, uscc, "read this enterprise's records", *officers, *_READ_ALL
        )
    if actor.has(*_READ_ALL):
        return query
    clauses = []
    own = actor.scopes(Role.ENTERPRISE)
    if own:
        clauses.append(uscc_col.in_([s for s in own if s]))
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    if parks:
        clauses.append(
            uscc_col.in_(select(DirectoryEntry.uscc).where(DirectoryEntry.park.in_(parks)))
        )
    policies = policy_scope_clauses(actor, officers)
    if policies is None:
        return query
    clauses.extend(policies)
    if not clauses:
        raise AccessDenied(f"{actor.describe()} may not read delivery records")
    return query.where(or_(false(), *clauses))


def _listing(
    session: Session,
    actor: Actor,
    query: Any,
    model: Any,
    officers: tuple[Role, ...],
    *,
    uscc: str | None,
    policy_id: str | None,
    status: Any,
    after_id: int,
    limit: int,
) -> Any:
    """A listing of ``model`` rows joined to their version: scoped, filtered, one keyset page."""
    query = _scoped(session, actor, query, model.uscc, officers, uscc)
    query = query.where(model.id > after_id).order_by(model.id).limit(_limit(limit))
    if uscc:
        query = query.where(model.uscc == uscc)
    if policy_id:
        query = query.where(PolicyVersion.policy_id == policy_id)
    if status is not None:
        query = query.where(model.status == status)
    return query


def list_records(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None = None,
    policy_id: str | None = None,
    status: str | None = None,
    flagged: bool | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[RecordRow]:
    """Delivery records (offers, applications, grants, refusals), oldest first, by id."""
    query = _listing(
        session,
        actor,
        # Only the columns a row shows: whole objects carried each record's explanation
        # (parsed from JSON) and its version's full text into every page.
        select(
            Entitlement.id,
            Entitlement.uscc,
            PolicyVersion.policy_id,
            PolicyVersion.version,
            PolicyVersion.title_zh,
            Entitlement.mode,
            Entitlement.status,
            Entitlement.match_status,
            Entitlement.computed_fen,
            Entitlement.expires_on,
            Entitlement.review_flag,
            func.coalesce(Entitlement.review_reason, Entitlement.status_reason),
            Entitlement.updated_at,
        ).join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id),
        Entitlement,
        (*POLICY_ROLES,),
        uscc=uscc,
        policy_id=policy_id,
        status=parse_status(RecordStatus, status) if status else None,
        after_id=after_id,
        limit=limit,
    )
    if flagged is not None:
        query = query.where(Entitlement.review_flag.is_(flagged))
    return [RecordRow(*row) for row in session.execute(query).all()]


def list_grants(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None = None,
    policy_id: str | None = None,
    status: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[GrantRow]:
    """Grants with their amount and payment status, oldest first, by id."""
    query = _listing(
        session,
        actor,
        select(
            Grant.id,
            Grant.uscc,
            PolicyVersion.policy_id,
            PolicyVersion.version,
            Grant.benefit_period,
            Grant.amount_fen,
            Grant.requested_fen,
            Grant.status,
            Grant.created_at,
            Grant.paid_at,
        ).join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id),
        Grant,
        (*POLICY_ROLES,),
        uscc=uscc,
        policy_id=policy_id,
        status=parse_status(GrantStatus, status) if status else None,
        after_id=after_id,
        limit=limit,
    )
    return [GrantRow(*row) for row in session.execute(query).all()]


def list_applications(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None = None,
    policy_id: str | None = None,
    status: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[ApplicationRow]:
    """Pre-filled applications (申报) and their review state. ``decidable`` says whether an
    officer can approve it now: submitted, and eligible on the data (a near miss needs
    new data, in a new snapshot, before it can be granted)."""
    query = _listing(
        session,
        actor,
        select(Entitlement, Application, PolicyVersion)
        .join(Application, Application.entitlement_id == Entitlement.id)
        .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id),
        Entitlement,
        (Role.POLICY_REVIEWER,),
        uscc=uscc,
        policy_id=policy_id,
        status=parse_status(RecordStatus, status) if status else None,
        after_id=after_id,
        limit=limit,
    )
    return [
        ApplicationRow(
            e.id,
            a.id,
            e.uscc,
            pv.policy_id,
            pv.version,
            e.status,
            e.match_status,
            e.computed_fen,
            list(a.prefilled.get("to_attest", [])),
            a.submitted_at,
            a.decision,
            a.reason,
            e.status == RecordStatus.SUBMITTED and e.match_status == MatchStatus.ELIGIBLE,
        )
        for e, a, pv in session.execute(query).all()
    ]


def list_versions(
    session: Session, *, actor: Actor, policy_id: str | None = None
) -> list[VersionRow]:
    """Published policy versions (any signed-in user: published policies are public)."""
    if not actor.grants:
        raise AccessDenied(f"{actor.describe()} holds no role")
    query = select(PolicyVersion).order_by(PolicyVersion.id)
    if policy_id:
        query = query.where(PolicyVersion.policy_id == policy_id)
    return [
        VersionRow(
            pv.id,
            pv.policy_id,
            pv.version,
            pv.title_zh,
            pv.delivery,
            pv.level,
            pv.region,
            pv.department,
            pv.content_hash,
            pv.budget_fen,
            pv.committed_fen,
            pv.status,
            pv.published_at,
            pv.published_by,
        )
        for pv in session.scalars(query)
    ]


def latest_version(session: Session, policy_id: str) -> PolicyVersion:
    """The newest published version of a policy (NotFoundError if none)."""
    pv = session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy_id)
        .order_by(PolicyVersion.version.desc())
    )
    if pv is None:
        raise NotFoundError(
            f"policy '{policy_id}' is not published; 'huiqi versions' lists what is"
        )
    return pv


def audit_log(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None = None,
    entity: str | None = None,
    kind: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[EventRow]:
    """The newest audit events first (who did what, when, why); admins only.

    An enterprise's trail (``uscc``) and a grant's (``entity="grant:N"``) include the
    bulk-grant chunk events that hold its grants (:mod:`huiqi.delivery.chunkaudit`)."""
    require_role(actor, "read the audit log", Role.ADMIN)
    query = select(Event).order_by(Event.id.desc()).limit(_limit(limit))
    if uscc:
        chunks = chunkaudit.entities_of_enterprise(session, uscc)
        query = query.where(
            or_(Event.uscc == uscc, Event.entity.in_(chunks)) if chunks else Event.uscc == uscc
        )
    if entity:
        query = query.where(Event.entity.in_(_entities_of(session, entity)))
    if kind:
        query = query.where(Event.kind == kind)
    if before_id is not None:
        query = query.where(Event.id < before_id)
    return [
        EventRow(e.id, e.chain, e.seq, e.at, e.actor, e.kind, e.uscc, e.entity, e.reason, e.data)
        for e in session.scalars(query)
    ]


def _entities_of(session: Session, entity: str) -> list[str]:
    """The entities whose events make up ``entity``'s trail: a grant's own, the bulk-grant
    chunk that holds it, and the disbursement batches that hold it (a chunk's grants and a
    batch's export are one event each for all their grants)."""
    kind, _, key = entity.partition(":")
    if kind != "grant" or not key.isdigit():
        return [entity]
    chunk = chunkaudit.chunk_event_of(session, int(key))
    batches = session.scalars(select(BatchItem.batch_id).where(BatchItem.grant_id == int(key)))
    return [entity, *([chunk[1]] if chunk else []), *(f"batch:{b}" for b in batches)]


def verify_audit(session: Session, *, actor: Actor) -> ChainReport:
    """Check the audit log's hash chain from the first event to the head; admins only."""
    require_role(actor, "verify the audit log", Role.ADMIN)
    chain = verify_chain(session)
    if not chain.ok:
        return chain
    from huiqi.delivery.disburse import verify_batch_members  # the export's writers: only here

    chunks = chunkaudit.verify_chunks(session)
    if not chunks.ok:
        return ChainReport(chain.checked, chunks.broken_seq, chunks.broken_id, chunks.problem)
    batches = verify_batch_members(session)
    return ChainReport(chain.checked, batches.broken_seq, batches.broken_id, batches.problem)


def list_batches(session: Session, *, actor: Actor, limit: int = 50) -> list[BatchRow]:
    """Disbursement batches, newest first; finance officers and admins."""
    require_role(actor, "list disbursement batches", *_READ_ALL)
    query = select(Batch).order_by(Batch.id.desc()).limit(_limit(limit))
    return [
        BatchRow(
            b.id,
            b.created_at,
            b.created_by,
            b.status,
            b.grants,
            b.total_fen,
            b.csv_path,
            b.xlsx_path,
        )
        for b in session.scalars(query)
    ]
