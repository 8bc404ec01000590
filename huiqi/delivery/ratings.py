"""Ratings: an enterprise rates a grant, or a decision on its record, 1–5 with a comment.

The city judges its policy services by the enterprises' own ratings; the officers'
dashboard shows them per policy. A rating is for something that happened to the
enterprise: a grant (granted, in a batch, paid or failed payment) or a record decided
without a grant (rejected, excluded, budget exhausted, capped, expired, withdrawn). One rating per
grant and per record per enterprise — the database's unique constraints enforce it, so
a double click or two tabs cannot rate twice. Each rating is an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.accounts.access import (
    AccessDenied,
    Actor,
    require_enterprise,
    require_own_enterprise,
)
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.delivery.audit import record_event, savepoint
from huiqi.delivery.feedback_models import Rating
from huiqi.delivery.freetext import clean_text
from huiqi.delivery.models import (
    DirectoryEntry,
    Entitlement,
    ExclusivitySlot,
    Grant,
    PolicyVersion,
)
from huiqi.delivery.scopes import policy_scope_clauses
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.errors import HuiqiError, NotFoundError, StateConflict

MAX_COMMENT = 2000
MAX_LIMIT = 10_000
RATED_GRANTS = (
    GrantStatus.GRANTED,
    GrantStatus.IN_BATCH,
    GrantStatus.PAID,
    GrantStatus.PAYMENT_FAILED,
)
# Records decided without a grant (a granted or approved record is rated through its grant).
RATED_RECORDS = (
    RecordStatus.REJECTED,
    RecordStatus.EXCLUDED,
    RecordStatus.BUDGET_EXHAUSTED,
    RecordStatus.CAPPED,
    RecordStatus.EXPIRED,
    RecordStatus.WITHDRAWN,  # after a review flag (delivery.review)
)


class RatingError(HuiqiError):
    """A rating that cannot be recorded (bad stars, nothing to rate, already rated)."""


class RatingConflict(RatingError, StateConflict):
    """Rated already, or not yet decided so that there is nothing to rate."""


@dataclass(frozen=True)
class RatingRow:
    id: int
    uscc: str
    policy_id: str
    version: int
    title_zh: str
    grant_id: int | None
    entitlement_id: int | None
    stars: int
    comment: str | None
    rated_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RatingSummary:
    """A policy's ratings for the dashboard: how many, the average, and per star."""

    policy_id: str
    title_zh: str
    ratings: int
    average: Decimal  # two decimals, half up
    by_stars: tuple[int, int, int, int, int]  # 1 star .. 5 stars


def check_stars(stars: Any) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise RatingError(
            f"a rating is a whole number of stars from 1 to 5, not {stars!r}", field="stars"
        )
    return stars


def check_comment(comment: Any) -> str | None:
    """The comment stripped (None when blank), or RatingError when it is not text or too long."""
    return clean_text(comment, "a comment", RatingError, max_length=MAX_COMMENT, field="comment")


def _row(r: Rating, pv: PolicyVersion) -> RatingRow:
    return RatingRow(
        r.id,
        r.uscc,
        pv.policy_id,
        pv.version,
        pv.title_zh,
        r.grant_id,
        r.entitlement_id,
        r.stars,
        r.comment,
        r.rated_by,
        r.created_at,
    )


def _target(
    session: Session, grant_id: int | None, entitlement_id: int | None
) -> tuple[str, int, str, str | None]:
    """(USCC, policy version id, audit entity, why it cannot be rated yet or None) of the
    grant or decided record rated. The refusal is returned, not raised: it names the
    record's status, which only those who may rate it are told."""
    if (grant_id is None) == (entitlement_id is None):
        raise RatingError("rate either a grant (grant_id) or a decided record (entitlement_id)")
    if grant_id is not None:
        grant = session.get(Grant, grant_id)
        if grant is None:
            raise NotFoundError(f"no grant {grant_id}")
        refusal = None
        if grant.status == GrantStatus.SUPERSEDED:
            # It will never be granted ("rate it once it is granted" said it would).
            refusal = _superseded(session, grant)
        elif grant.status not in RATED_GRANTS:
            refusal = f"grant {grant_id} is '{grant.status}': rate it once it is granted"
        return grant.uscc, grant.policy_version_id, f"grant:{grant_id}", refusal
    ent = session.get(Entitlement, entitlement_id)
    if ent is None:
        raise NotFoundError(f"no delivery record {entitlement_id}")
    grant_of = session.scalar(select(Grant.id).where(Grant.entitlement_id == ent.id))
    refusal = None
    if grant_of is not None:
        refusal = f"record {ent.id} was granted: rate grant {grant_of} instead"
    elif ent.status not in RATED_RECORDS:
        refusal = (
            f"record {ent.id} is '{ent.status}': it can be rated once decided"
            f" ({', '.join(RATED_RECORDS)})"
        )
    return ent.uscc, ent.policy_version_id, f"entitlement:{ent.id}", refusal


def _superseded(session: Session, grant: Grant) -> str:
    """The refusal to rate a grant superseded under 就高不重复: the grant that replaced it,
    the one its exclusivity group now holds for the enterprise and period, is rated."""
    pv = session.get(PolicyVersion, grant.policy_version_id)
    ent = session.get(Entitlement, grant.entitlement_id)
    holder = (
        session.get(ExclusivitySlot, (pv.exclusivity_group, grant.uscc, ent.benefit_period))
        if pv is not None and pv.exclusivity_group and ent is not None
        else None
    )
    live = (
        session.scalar(select(Grant.id).where(Grant.entitlement_id == holder.entitlement_id))
        if holder is not None
        else None
    )
    text = (
        f"grant {grant.id} was superseded by a higher benefit of its group (就高不重复) and is"
        " never paid"
    )
    if live is None or live == grant.id:
        return f"{text}: rate the grant that replaced it"
    return f"{text}: rate grant {live} instead"


def rate(
    session: Session,
    *,
    actor: Actor,
    stars: int,
    comment: str | None = None,
    grant_id: int | None = None,
    entitlement_id: int | None = None,
) -> RatingRow:
    """The enterprise (or its park operator) rates a grant or a decided record, once."""
    uscc, pv_id, entity, refusal = _target(session, grant_id, entitlement_id)
    require_own_enterprise(session, actor, uscc, f"rate {entity}")
    if refusal is not None:
        raise RatingConflict(refusal)
    stars, text = check_stars(stars), check_comment(comment)
    rating = Rating(
        uscc=uscc,
        policy_version_id=pv_id,
        grant_id=grant_id,
        entitlement_id=entitlement_id,
        stars=stars,
        comment=text,
        rated_by=actor.username,
    )
    try:
        with savepoint(session):
            session.add(rating)
            session.flush()
            record_event(
                session,
                actor=actor,
                kind="rate",
                uscc=uscc,
                policy_version_id=pv_id,
                entity=entity,
                data={"stars": stars, "rating_id": rating.id},
            )
    except IntegrityError:
        raise RatingConflict(f"{entity} has already been rated by {uscc}") from None
    pv = session.get(PolicyVersion, pv_id)
    assert pv is not None
    return _row(rating, pv)


def _enterprise_clauses(actor: Actor) -> list[Any]:
    """The enterprises the actor acts for: its own, its park's."""
    clauses: list[Any] = []
    own = [s for s in actor.scopes(Role.ENTERPRISE) if s]
    if own:
        clauses.append(Rating.uscc.in_(own))
    parks = [p for p in actor.scopes(Role.PARK_OPERATOR) if p]
    if parks:
        clauses.append(
            Rating.uscc.in_(select(DirectoryEntry.uscc).where(DirectoryEntry.park.in_(parks)))
        )
    return clauses


def list_ratings(
    session: Session,
    *,
    actor: Actor,
    uscc: str | None = None,
    policy_id: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[RatingRow]:
    """Ratings in id order (keyset pages), cut to the actor: its own, its park's, or those
    of the policies its officer scope covers."""
    if uscc:
        uscc = uscc.strip().upper()
        require_enterprise(session, actor, uscc, f"read {uscc}'s ratings", *POLICY_ROLES)
    policies = policy_scope_clauses(actor, tuple(POLICY_ROLES))
    query = select(Rating, PolicyVersion).join(
        PolicyVersion, PolicyVersion.id == Rating.policy_version_id
    )
    if policies is not None:
        clauses = _enterprise_clauses(actor) + policies
        if not clauses:
            raise AccessDenied(
                f"{actor.describe()} may not read ratings; allowed: the enterprise itself,"
                " its park operator, policy officers"
            )
        query = query.where(or_(false(), *clauses))
    if uscc:
        query = query.where(Rating.uscc == uscc)
    if policy_id:
        query = query.where(PolicyVersion.policy_id == policy_id)
    query = (
        query.where(Rating.id > after_id).order_by(Rating.id).limit(max(1, min(limit, MAX_LIMIT)))
    )
    return [_row(r, pv) for r, pv in session.execute(query).all()]


def rating_summary(
    session: Session, *, actor: Actor, policy_id: str | None = None
) -> list[RatingSummary]:
    """Per policy (all its versions), the ratings' count, average and spread by stars, for
    the officers' dashboard; only the policies the actor's scope covers."""
    if not actor.has(*POLICY_ROLES):
        raise AccessDenied(
            f"{actor.describe()} may not read the ratings dashboard; allowed: policy officers"
        )
    star_counts = [func.count().filter(Rating.stars == n) for n in range(1, 6)]
    query = (
        select(
            PolicyVersion.policy_id,
            func.max(PolicyVersion.title_zh),
            func.count(),
            func.sum(Rating.stars),
            *star_counts,
        )
        .join(PolicyVersion, PolicyVersion.id == Rating.policy_version_id)
        .group_by(PolicyVersion.policy_id)
        .order_by(PolicyVersion.policy_id)
    )
    policies = policy_scope_clauses(actor, tuple(POLICY_ROLES))
    if policies is not None:
        query = query.where(or_(false(), *policies))
    if policy_id:
        query = query.where(PolicyVersion.policy_id == policy_id)
    out = []
    for pid, title, n, total, *stars in session.execute(query).all():
        average = (Decimal(int(total)) / Decimal(int(n))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        out.append(RatingSummary(pid, title, int(n), average, tuple(int(s) for s in stars)))  # type: ignore[arg-type]
    return out
