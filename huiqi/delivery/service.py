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

from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, false, func, or_, select

from huiqi.accounts.access import (
    AccessDenied,
    Actor,
    require_enterprise,
    require_role,
)
from huiqi.accounts.roles import POLICY_ROLES, Role
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
from huiqi.delivery.tables import batches, entitlements, grants
from huiqi.delivery.tables import enterprise_directory as directory
from huiqi.delivery.tables import policy_versions as versions
from huiqi.errors import NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from huiqi.db.engine import Reads
    from huiqi.delivery.audit import ChainReport
    from huiqi.delivery.models import PolicyVersion

MAX_LIMIT = 10_000
_READ_ALL = (Role.FINANCE_OFFICER, Role.ADMIN)


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _scoped(
    session: Reads,
    actor: Actor,
    query: Any,
    uscc_col: Any,
    officers: tuple[Role, ...],
    uscc: str | None,
) -> Any:
    """Cut a query joined to policy_versions down to what the actor may read."""
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
        clauses.append(uscc_col.in_(select(directory.c.uscc).where(directory.c.park.in_(parks))))
    policies = policy_scope_clauses(actor, officers)
    if policies is None:
        return query
    clauses.extend(policies)
    if not clauses:
        raise AccessDenied(f"{actor.describe()} may not read delivery records")
    return query.where(or_(false(), *clauses))


class _Page(NamedTuple):
    """A listing's filters and keyset page, as each public listing takes them."""

    uscc: str | None
    policy_id: str | None
    status: str | None
    after_id: int
    limit: int


def _listing(
    session: Reads,
    actor: Actor,
    query: Any,
    table: Any,
    statuses: type[StrEnum],
    page: _Page,
    officers: tuple[Role, ...] = (*POLICY_ROLES,),
) -> Any:
    """A listing of ``table``'s rows joined to their version: scoped, filtered, one keyset
    page. ``page.status`` is read as one of ``statuses`` (before any access check)."""
    status = parse_status(statuses, page.status) if page.status else None
    rows = table.c
    query = _scoped(session, actor, query, rows.uscc, officers, page.uscc)
    query = query.where(rows.id > page.after_id).limit(_limit(page.limit))
    if page.uscc:
        query = query.where(rows.uscc == page.uscc)
    if page.policy_id:
        query = query.where(versions.c.policy_id == page.policy_id)
    if status is None:
        return query.order_by(rows.id)
    if not _is_postgresql(session):  # SQLite seeks (status = ? AND id > ?) on the index
        return query.where(rows.status == status).order_by(rows.id)
    # PostgreSQL: one status as the range [status, status], ordered by (status, id). The
    # same rows in the same order as "status = ? ORDER BY id", but only the (status, id)
    # index gives that order without a sort, so the queue is read from it, starting at
    # (status, after_id). With "status = ?" the planner drops the constant from the order
    # and, the statistics saying half the records are offered, walked the primary key
    # from the page's start instead, past every record of the policies delivered before
    # the first offer (42 ms for the first page at 200,000 records, 67 ms p50 at 1 M
    # under load; tests/db/test_status_index.py, docs/benchmarks.md). SQLite cannot seek
    # past a range on the first column, so it keeps the equality.
    query = query.where(rows.status >= status, rows.status <= status)
    return query.order_by(rows.status, rows.id)


def _is_postgresql(session: Reads) -> bool:
    bind = session if isinstance(session, Connection) else session.get_bind()
    return bind.dialect.name == "postgresql"


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
    e, v = entitlements.c, versions.c
    query = _listing(
        session,
        actor,
        # Only the columns a row shows: whole objects carried each record's explanation
        # (parsed from JSON) and its version's full text into every page.
        select(
            e.id,
            e.uscc,
            v.policy_id,
            v.version,
            v.title_zh,
            e.mode,
            e.status,
            e.match_status,
            e.computed_fen,
            e.expires_on,
            e.review_flag,
            func.coalesce(e.review_reason, e.status_reason),
            e.updated_at,
        ).join(versions, v.id == e.policy_version_id),
        entitlements,
        RecordStatus,
        _Page(uscc, policy_id, status, after_id, limit),
    )
    if flagged is not None:
        query = query.where(e.review_flag.is_(flagged))
    return [RecordRow(*row) for row in session.execute(query).all()]


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
    g, v = grants.c, versions.c
    query = _listing(
        session,
        actor,
        select(
            g.id,
            g.uscc,
            v.policy_id,
            v.version,
            g.benefit_period,
            g.amount_fen,
            g.requested_fen,
            g.status,
            g.created_at,
            g.paid_at,
        ).join(versions, v.id == g.policy_version_id),
        grants,
        GrantStatus,
        _Page(uscc, policy_id, status, after_id, limit),
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
    from huiqi.delivery.models import Application, Entitlement, PolicyVersion

    query = _listing(
        session,
        actor,
        select(Entitlement, Application, PolicyVersion)
        .join(Application, Application.entitlement_id == Entitlement.id)
        .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id),
        entitlements,
        RecordStatus,
        _Page(uscc, policy_id, status, after_id, limit),
        (Role.POLICY_REVIEWER,),
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
    session: Reads, *, actor: Actor, policy_id: str | None = None
) -> list[VersionRow]:
    """Published policy versions (any signed-in user: published policies are public)."""
    if not actor.grants:
        raise AccessDenied(f"{actor.describe()} holds no role")
    v = versions.c
    # Any: mypy takes a row of this fourteen-column select for a one-tuple.
    query: Any = select(
        v.id,
        v.policy_id,
        v.version,
        v.title_zh,
        v.delivery,
        v.level,
        v.region,
        v.department,
        v.content_hash,
        v.budget_fen,
        v.committed_fen,
        v.status,
        v.published_at,
        v.published_by,
    ).order_by(v.id)
    if policy_id:
        query = query.where(v.policy_id == policy_id)
    return [VersionRow(*row) for row in session.execute(query).all()]


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
    before_id: int | None = None,
    limit: int = 50,
) -> list[EventRow]:
    """The newest audit events first (who did what, when, why); admins only.

    An enterprise's trail (``uscc``) and a grant's (``entity="grant:N"``) include the
    bulk-grant chunk events that hold its grants (:mod:`huiqi.delivery.chunkaudit`)."""
    from huiqi.delivery import chunkaudit
    from huiqi.delivery.models import Event

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
    from huiqi.delivery import chunkaudit
    from huiqi.delivery.models import BatchItem

    kind, _, key = entity.partition(":")
    if kind != "grant" or not key.isdigit():
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


def list_batches(session: Reads, *, actor: Actor, limit: int = 50) -> list[BatchRow]:
    """Disbursement batches, newest first; finance officers and admins."""
    require_role(actor, "list disbursement batches", *_READ_ALL)
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
        .limit(_limit(limit))
    )
    return [BatchRow(*row) for row in session.execute(query).all()]
