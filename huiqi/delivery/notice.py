"""A grant's notice (惠企政策兑现告知书): what one grant says, read from the ledger for
the people allowed to read it.

The enterprise itself (or its park operator), the policy officers whose scope covers the
policy, and finance officers and admins may read a grant's notice; anyone else is refused
here, in the service, as every other read of the ledger. The basis is the stored
explanation of the grant (the criteria that held when it was made, with their labels from
the published text); the verification line is the grant's own audit event, whose hash
``huiqi audit verify`` checks in its chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, acts_for, in_policy_scope
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.db.clock import china_day
from huiqi.delivery.chunkaudit import chunk_event_of
from huiqi.delivery.commitments import CommitmentsMade, commitments_made
from huiqi.delivery.explanations import of_grant
from huiqi.delivery.models import DirectoryEntry, Event, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus
from huiqi.delivery.versions import policy_ref
from huiqi.errors import NotFoundError, StateConflict
from huiqi.policies.loader import parse_policy

# A notice is for money the enterprise has been given: not a provisional grant waiting
# for the budget's allocation, nor one superseded by a higher one (就高不重复).
NOTICE_STATUSES = (
    GrantStatus.GRANTED,
    GrantStatus.IN_BATCH,
    GrantStatus.PAID,
    GrantStatus.PAYMENT_FAILED,
)
_READ_ALL = (Role.FINANCE_OFFICER, Role.ADMIN)


class NoticeError(StateConflict):
    """A grant that has no notice (yet): provisional, or superseded."""


@dataclass(frozen=True)
class GrantNotice:
    grant_id: int
    uscc: str
    enterprise_name: str | None
    policy_id: str
    version: int
    title_zh: str
    department_zh: str
    source_document: str
    benefit_period: str
    amount_fen: int
    status: str
    granted_on: dt.date
    basis: list[str]  # the labels of the criteria that held, in the policy's order
    event_id: int | None  # the grant's audit event (None: not written yet)
    event_hash: str | None
    # What the enterprise vouched for (告知承诺) instead of the data proving it.
    commitments: CommitmentsMade | None = None
    # A reviewer's decision to withdraw, taken after the money left (its reason): the
    # notice says so rather than read as a valid award.
    withdrawal: str | None = None
    # A difference granted under 就高不重复 after a lower grant of the group was paid.
    top_up: TopUpMade | None = None
    # A difference a newer version of the policy granted on top of money already sent
    # (huiqi.delivery.version_fix: the grant names the grant it corrects).
    correction: CorrectionMade | None = None


@dataclass(frozen=True)
class TopUpMade:
    due_fen: int  # what the policy gives in all
    given_fen: int  # what the group's earlier grants gave
    of_grant: int  # the grant it tops up


@dataclass(frozen=True)
class CorrectionMade:
    due_fen: int  # what the newer version gives in all
    given_fen: int  # what the grants it corrects gave (the base grant and earlier corrections)
    of_grant: int  # the grant it corrects
    of_version: int  # that grant's version


def _require_reader(session: Session, actor: Actor, grant: Grant, pv: PolicyVersion) -> None:
    if actor.has(*_READ_ALL) or acts_for(session, actor, grant.uscc):
        return
    if in_policy_scope(actor, policy_ref(pv), *POLICY_ROLES):
        return
    raise AccessDenied(
        f"{actor.describe()} may not read the notice of grant {grant.id}; allowed: the"
        " enterprise itself, its park operator, officers whose scope covers the policy"
    )


def _withdrawn_for(session: Session, entitlement_id: int) -> str | None:
    """The reason of the record's newest review decision if that decision withdrew it.

    A record flagged again after a withdrawal (a later snapshot) may be kept: the newest
    decision of either kind is the one that stands, not the newest withdrawal.
    """
    newest = session.execute(
        select(Event.kind, Event.reason)
        .where(
            Event.entity == f"entitlement:{entitlement_id}",
            Event.kind.in_(("review_keep", "review_withdraw", "review_top_up", "review_correct")),
        )
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    return newest[1] if newest is not None and newest[0] == "review_withdraw" else None


def grant_notice(session: Session, *, actor: Actor, grant_id: int) -> GrantNotice:
    """The notice of one grant, for the enterprise or an officer allowed to read it."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFoundError(f"no grant {grant_id}")
    pv = session.get(PolicyVersion, grant.policy_version_id)
    assert pv is not None  # a foreign key
    _require_reader(session, actor, grant, pv)
    if grant.status == GrantStatus.WITHDRAWN:
        raise NoticeError(
            f"grant {grant_id} was withdrawn after review before it was paid: it has no notice"
        )
    if grant.status not in NOTICE_STATUSES:
        raise NoticeError(
            f"grant {grant_id} is '{grant.status}': a notice is issued once the money is"
            f" granted ({', '.join(NOTICE_STATUSES)})"
        )
    withdrawal = _withdrawn_for(session, grant.entitlement_id)
    if withdrawal is not None and grant.status == GrantStatus.GRANTED:
        # Withdrawn before it was exported, before migration 0023 made such a grant
        # 'withdrawn': it is never paid either (huiqi.delivery.review).
        raise NoticeError(
            f"grant {grant_id} was withdrawn after review before it was paid: it has no notice"
        )
    policy, _ = parse_policy(pv.source_yaml, f"{pv.policy_id}@{pv.version}")
    explanation = of_grant(session, grant)
    held = {c.get("id") for c in explanation.get("criteria", []) if c.get("state") == "met"}
    own = session.execute(
        select(Event.id, Event.hash, Event.data)
        .where(Event.entity == f"grant:{grant.id}")
        .order_by(Event.id)
        .limit(1)
    ).first()
    chunk = None if own else chunk_event_of(session, grant.id)  # granted in bulk: its chunk's
    event = (own[0], own[1]) if own else (chunk[0], chunk[2]) if chunk else None
    return GrantNotice(
        grant_id=grant.id,
        uscc=grant.uscc,
        enterprise_name=session.scalar(
            select(DirectoryEntry.name).where(DirectoryEntry.uscc == grant.uscc)
        ),
        policy_id=pv.policy_id,
        version=pv.version,
        title_zh=pv.title_zh,
        department_zh=policy.department.zh,
        source_document=policy.source.document,
        benefit_period=grant.benefit_period,
        amount_fen=grant.amount_fen,
        status=grant.status,
        granted_on=china_day(grant.created_at),  # the notice's date is China's
        basis=[c.label.zh for c in policy.criteria if c.id in held],
        event_id=event[0] if event else None,
        event_hash=event[1] if event else None,
        commitments=commitments_made(session, grant.entitlement_id),
        withdrawal=withdrawal,
        top_up=_top_up(own[2] if own else None),
        correction=_correction(session, grant),
    )


def _correction(session: Session, grant: Grant) -> CorrectionMade | None:
    """What a version correction's grant corrects: the grants below it in its chain (each
    correction names the one it corrects, down to the base grant), read from the ledger."""
    if grant.corrects_grant_id is None:
        return None
    corrected = session.get(Grant, grant.corrects_grant_id)
    assert corrected is not None  # a foreign key
    version = session.scalar(
        select(PolicyVersion.version).where(PolicyVersion.id == corrected.policy_version_id)
    )
    given = 0
    below: Grant | None = corrected
    while below is not None:
        given += below.amount_fen
        below = session.get(Grant, below.corrects_grant_id) if below.corrects_grant_id else None
    return CorrectionMade(given + grant.amount_fen, given, corrected.id, int(version or 0))


def _top_up(data: dict[str, Any] | None) -> TopUpMade | None:
    """What a top-up grant's own event says it topped up (huiqi.delivery.topup)."""
    if not data or "top_up_of_grant" not in data:
        return None
    return TopUpMade(int(data["due_fen"]), int(data["given_fen"]), int(data["top_up_of_grant"]))
