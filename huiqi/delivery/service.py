"""Reading the ledger: records, grants, applications, versions, batches and the audit log.

Each function takes the session and the actor, checks access itself and returns
typed rows. What an actor sees is cut to its scope: an enterprise its own rows,
a park operator its park's enterprises, a policy officer the policies its scope
covers; finance officers and admins read everything.

The listings of versions, grants, records and batches are SQLAlchemy Core queries on
:mod:`huiqi.delivery.tables`: they run on an ORM session (the portal, the API) and on a
Core connection alike (``huiqi versions``, ``grants``, ``records``, ``disburse batches``, which start
without loading the ORM). The other functions use the ORM models, imported where used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from huiqi.accounts.access import (
    Actor,
    require_role,
)
from huiqi.accounts.roles import Role
from huiqi.delivery.flag_view import complete_conditions
from huiqi.delivery.listing_access import READ_ALL, check_versions_reader, clamp_limit
from huiqi.delivery.listing_queries import (
    Page,
    grants_query,
    match_now_of,
    records_query,
    scoped_listing,
    versions_query,
)
from huiqi.delivery.rows import (
    ApplicationRow,
    BatchRow,
    EventRow,
    GrantRow,
    RecordRow,
    VersionRow,
)
from huiqi.delivery.statuses import MatchStatus, RecordStatus
from huiqi.delivery.tables import batches, entitlements
from huiqi.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from huiqi.db.engine import Reads
    from huiqi.delivery.audit import ChainReport
    from huiqi.delivery.models import PolicyVersion


def list_records(
    session: Reads,
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
    page = Page(uscc, policy_id, status, after_id, limit)
    query = records_query(session, actor=actor, page=page, flagged=flagged)
    rows = [RecordRow(*row) for row in session.execute(query).all()]
    # A flag's conditions are stored without what their version gives back (labels...).
    return complete_conditions(session, rows)


def list_grants(
    session: Reads,
    *,
    actor: Actor,
    uscc: str | None = None,
    policy_id: str | None = None,
    status: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[GrantRow]:
    """Grants with their amount and payment status, oldest first, by id."""
    query = grants_query(session, actor=actor, page=Page(uscc, policy_id, status, after_id, limit))
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
    """Pre-filled applications (申报) and their review state. ``match_status`` is as it is
    now (``listing_queries.match_now``: not_eligible while flagged as no longer eligible).
    ``decidable`` says whether an officer can approve it now: submitted, and eligible on
    the data (a near miss needs new data, in a new snapshot, before it can be granted; a
    flagged one needs its flag resolved)."""
    from huiqi.delivery.models import Application, Entitlement, PolicyVersion

    query = scoped_listing(
        session,
        actor,
        select(Entitlement, Application, PolicyVersion)
        .join(Application, Application.entitlement_id == Entitlement.id)
        .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id),
        entitlements,
        RecordStatus,
        Page(uscc, policy_id, status, after_id, limit),
        (Role.POLICY_REVIEWER,),
    )
    rows = []
    for e, a, pv in session.execute(query).all():
        now = match_now_of(e.match_status, e.review_flag, e.status)
        rows.append(
            ApplicationRow(
                e.id,
                a.id,
                e.uscc,
                pv.policy_id,
                pv.version,
                e.status,
                now,
                e.computed_fen,
                list(a.prefilled.get("to_attest", [])),
                a.submitted_at,
                a.decision,
                a.reason,
                e.status == RecordStatus.SUBMITTED and now == MatchStatus.ELIGIBLE,
            )
        )
    return rows


def list_versions(
    session: Reads, *, actor: Actor, policy_id: str | None = None
) -> list[VersionRow]:
    """Published policy versions (any signed-in user: published policies are public)."""
    check_versions_reader(actor)
    return [VersionRow(*row) for row in session.execute(versions_query(policy_id)).all()]


def latest_version(session: Session, policy_id: str) -> PolicyVersion:
    """The newest published version of a policy (NotFoundError if none)."""
    from huiqi.delivery.models import PolicyVersion

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
    by: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[EventRow]:
    """The newest audit events first (who did what, when, why); admins only. ``by`` keeps
    the events of one actor (a user name); ``before_id`` the events older than that one,
    for the next page (keyset: the id, never an offset).

    An enterprise's trail (``uscc``) and a grant's (``entity="grant:N"``) include the
    bulk-grant chunk events that hold its grants (:mod:`huiqi.delivery.chunkaudit`)."""
    from huiqi.delivery import chunkaudit
    from huiqi.delivery.models import Event

    require_role(actor, "read the audit log", Role.ADMIN)
    query = select(Event).order_by(Event.id.desc()).limit(clamp_limit(limit))
    if uscc:
        chunks = chunkaudit.entities_of_enterprise(session, uscc)
        query = query.where(
            or_(Event.uscc == uscc, Event.entity.in_(chunks)) if chunks else Event.uscc == uscc
        )
    if entity:
        query = query.where(Event.entity.in_(_entities_of(session, entity)))
    if kind:
        query = query.where(Event.kind == kind)
    if by:
        query = query.where(Event.actor == by)
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
    from huiqi.delivery import chunkaudit
    from huiqi.delivery.models import BatchItem

    kind, _, key = entity.partition(":")
    # ASCII digits only: '²'.isdigit() holds, and int('²') raises; and no more than an id
    # column holds (a longer number overflows SQLite's integer).
    if kind != "grant" or not (key.isascii() and key.isdigit() and len(key) <= 18):
        return [entity]
    chunk = chunkaudit.chunk_event_of(session, int(key))
    batches = session.scalars(select(BatchItem.batch_id).where(BatchItem.grant_id == int(key)))
    return [entity, *([chunk[1]] if chunk else []), *(f"batch:{b}" for b in batches)]


def verify_audit(session: Session, *, actor: Actor) -> ChainReport:
    """Check the audit log's hash chain from the first event to the head; admins only."""
    require_role(actor, "verify the audit log", Role.ADMIN)
    from huiqi.delivery import chunkaudit
    from huiqi.delivery.audit import ChainReport, verify_chain

    chain = verify_chain(session)
    if not chain.ok:
        return chain
    from huiqi.delivery.disburse import verify_batch_members  # the export's writers: only here

    chunks = chunkaudit.verify_chunks(session)
    if not chunks.ok:
        return ChainReport(chain.checked, chunks.broken_seq, chunks.broken_id, chunks.problem)
    batches = verify_batch_members(session)
    return ChainReport(chain.checked, batches.broken_seq, batches.broken_id, batches.problem)


def list_batches(
    session: Reads, *, actor: Actor, limit: int = 50, before_id: int | None = None
) -> list[BatchRow]:
    """Disbursement batches, newest first; finance officers and admins. The next page is
    ``before_id=`` the last id of this one (a keyset on the primary key). Regression (QA):
    a ``limit`` and no cursor left the batches past the newest 1000 out of reach."""
    require_role(actor, "list disbursement batches", *READ_ALL)
    b = batches.c
    query = (
        select(
            b.id,
            b.created_at,
            b.created_by,
            b.status,
            b.grants,
            b.total_fen,
            b.csv_path,
            b.xlsx_path,
        )
        .order_by(b.id.desc())
        .limit(clamp_limit(limit))
    )
    if before_id is not None:
        query = query.where(b.id < before_id)
    return [BatchRow(*row) for row in session.execute(query).all()]
