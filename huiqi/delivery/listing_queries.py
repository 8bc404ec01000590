"""The statements of the ledger's listings (versions, grants, delivery records), each with
its access check: what :mod:`huiqi.delivery.service` runs, and what the command line's
quick listings compile ahead (:mod:`huiqi.cli.quick`, regenerated from these functions and
held equal to them by tests/cli/test_quick.py).

What an actor sees is cut to its scope: an enterprise its own rows, a park operator its
park's enterprises, a policy officer the policies its scope covers; finance officers and
admins read everything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, and_, case, false, func, literal_column, or_, select

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.delivery.listing_access import check_reader, clamp_limit, reader_scope
from huiqi.delivery.scopes import policy_scope_clauses
from huiqi.delivery.statuses import GrantStatus, MatchStatus, RecordStatus, parse_status
from huiqi.delivery.tables import enterprise_directory as directory
from huiqi.delivery.tables import entitlements, grants
from huiqi.delivery.tables import policy_versions as versions

if TYPE_CHECKING:
    from huiqi.db.engine import Reads


def _scoped(
    session: Reads,
    actor: Actor,
    query: Any,
    uscc_col: Any,
    officers: tuple[Role, ...],
    uscc: str | None,
) -> Any:
    """Cut a query joined to policy_versions down to what the actor may read."""
    if check_reader(session, actor, officers, uscc):
        return query
    clauses = []
    scope = reader_scope(actor, officers)
    if scope.own is not None:
        clauses.append(uscc_col.in_(scope.own))
    if scope.parks:
        parks = select(directory.c.uscc).where(directory.c.park.in_(scope.parks))
        clauses.append(uscc_col.in_(parks))
    policies = policy_scope_clauses(actor, officers)
    assert policies is not None  # check_reader said so
    clauses.extend(policies)
    if not clauses:
        raise AccessDenied(f"{actor.describe()} may not read delivery records")
    return query.where(or_(false(), *clauses))


class Page(NamedTuple):
    """A listing's filters and keyset page, as each public listing takes them."""

    uscc: str | None
    policy_id: str | None
    status: str | None
    after_id: int
    limit: int


def scoped_listing(
    session: Reads,
    actor: Actor,
    query: Any,
    table: Any,
    statuses: type[StrEnum],
    page: Page,
    officers: tuple[Role, ...] = (*POLICY_ROLES,),
    *,
    postgresql: bool | None = None,
) -> Any:
    """A listing of ``table``'s rows joined to their version: scoped, filtered, one keyset
    page. ``page.status`` is read as one of ``statuses`` (before any access check)."""
    status = parse_status(statuses, page.status) if page.status else None
    rows = table.c
    query = _scoped(session, actor, query, rows.uscc, officers, page.uscc)
    query = query.where(rows.id > page.after_id).limit(clamp_limit(page.limit))
    if page.uscc:
        query = query.where(rows.uscc == page.uscc)
    if page.policy_id:
        query = query.where(versions.c.policy_id == page.policy_id)
    if status is None:
        return query.order_by(rows.id)
    if postgresql is None:
        postgresql = _is_postgresql(session)
    if not postgresql:  # SQLite seeks (status = ? AND id > ?) on the index
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


def _constant(value: str) -> Any:
    """A status as SQL text, not a bound parameter: the quick listings compiled ahead bind
    only their inputs (huiqi.cli.quick.generate). A StrEnum's value, never user input."""
    assert value.isidentifier()
    return literal_column(f"'{value}'")


def match_now() -> Any:
    """A record's ``match_status`` as it is now, not only as it was at delivery: a record a
    later snapshot found no longer eligible (its review flag, whose reason names the
    snapshot) reads ``not_eligible`` while it is flagged; otherwise its match at delivery
    (``eligible``, or ``near_miss`` for a pre-filled application). The other flag, 就高不重复
    on an ``excluded`` record, says nothing about eligibility."""
    e = entitlements.c
    lost = and_(e.review_flag.is_(True), e.status != _constant(RecordStatus.EXCLUDED))
    return case((lost, _constant(MatchStatus.NOT_ELIGIBLE)), else_=e.match_status).label(
        "match_status"
    )


def match_now_of(match_status: str, review_flag: bool, status: str) -> str:
    """:func:`match_now` of one record already read."""
    if review_flag and status != RecordStatus.EXCLUDED:
        return MatchStatus.NOT_ELIGIBLE
    return match_status


def records_query(
    session: Reads,
    *,
    actor: Actor,
    page: Page,
    flagged: bool | None,
    postgresql: bool | None = None,
) -> Any:
    """The statement :func:`list_records` runs (access checked)."""
    e, v = entitlements.c, versions.c
    query = scoped_listing(
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
            match_now(),
            e.computed_fen,
            e.expires_on,
            e.review_flag,
            func.coalesce(e.review_reason, e.status_reason),
            e.updated_at,
            # The live grant's amount, by the grants' unique index on their record.
            select(grants.c.amount_fen)
            .where(
                grants.c.entitlement_id == e.id,
                # Constants of the statement, not binds (the quick listings' contract).
                grants.c.status.not_in(
                    [
                        literal_column(f"'{GrantStatus.SUPERSEDED.value}'"),
                        literal_column(f"'{GrantStatus.WITHDRAWN.value}'"),
                    ]
                ),
            )
            .scalar_subquery(),
            # What a flag "no longer eligible" found failing (huiqi.delivery.lost_criteria).
            e.review_criteria,
        ).join(versions, v.id == e.policy_version_id),
        entitlements,
        RecordStatus,
        page,
        postgresql=postgresql,
    )
    if flagged is not None:
        query = query.where(e.review_flag.is_(flagged))
    return query


def grants_query(
    session: Reads, *, actor: Actor, page: Page, postgresql: bool | None = None
) -> Any:
    """The statement :func:`list_grants` runs (access checked)."""
    g, v = grants.c, versions.c
    return scoped_listing(
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
        page,
        postgresql=postgresql,
    )


def versions_query(policy_id: str | None) -> Any:
    """The statement :func:`list_versions` runs (after :func:`check_versions_reader`)."""
    v = versions.c
    query = select(
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
    return query
