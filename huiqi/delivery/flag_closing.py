"""Closing the review flags no decision is left for: those of a retired or replaced version
on records that gave the enterprise nothing.

A flag is an officer's question about what a record gave (``huiqi.delivery.review``). A
version that is retired (``versions.retire_version``) or replaced by a newer version
that delivers (``publish.deliver``) makes nothing new, and its records that gave the
enterprise nothing (excluded behind another version's grant, superseded, withdrawn when
the version was retired...) have nothing to keep, withdraw or recover: the newer version
asks its own question where one is due (its own record is flagged), so leaving the old
flags in the queue asked the officer the same question once per version.

Such a flag is closed with one audit event each (``review_closed``, the reason naming the
version), its conditions dropped (the flag's event keeps them), and the record reads as
its status says. A flag on a record that holds a live grant, or an offer or application
still open, is never closed here: while it is flagged its grant waits (no export takes
it), so only an officer's decision may release it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, select, text, update
from sqlalchemy.orm import Session

from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion, utcnow
from huiqi.delivery.statuses import GAVE_NOTHING, RecordStatus, VersionStatus
from huiqi.delivery.tables import LIVE_GRANT

CHUNK = 5_000
# What a record that gave nothing may be in: the refusals, and withdrawn (by a review, or
# when its version was retired, before it was claimed or submitted).
NOTHING_GIVEN = (*GAVE_NOTHING, RecordStatus.WITHDRAWN)


def close_replaced_flags(session: Session, pv: PolicyVersion, *, actor: str) -> int:
    """Close the open flags of ``pv``'s older versions on records that gave nothing: ``pv``
    delivers instead of them. Returns how many were closed."""
    if pv.version <= 1:
        return 0
    older = session.scalars(
        select(PolicyVersion.id).where(
            PolicyVersion.policy_id == pv.policy_id, PolicyVersion.version < pv.version
        )
    ).all()
    reason = reasons.FLAG_CLOSED_REPLACED(policy=pv.policy_id, version=pv.version)
    return close_flags(session, list(older), actor=actor, reason=reason)


def close_retired_flags(session: Session, pv: PolicyVersion, *, actor: str) -> int:
    """Close the open flags of the retired version ``pv`` on records that gave nothing."""
    reason = reasons.FLAG_CLOSED_RETIRED(policy=pv.policy_id, version=pv.version)
    return close_flags(session, [pv.id], actor=actor, reason=reason)


def close_left_on_retired(session: Session, *, actor: str) -> int:
    """:func:`close_retired_flags` of every retired version that still has such a flag
    (retired before retiring closed them); idempotent."""
    left = session.scalars(
        select(PolicyVersion)
        .where(
            PolicyVersion.status == VersionStatus.RETIRED,
            exists().where(_closable(), Entitlement.policy_version_id == PolicyVersion.id),
        )
        .order_by(PolicyVersion.id)
    ).all()
    return sum(close_retired_flags(session, pv, actor=actor) for pv in left)


def _closable() -> ColumnElement[bool]:
    """A flagged record that gave nothing: a status that gave nothing, and no live grant
    (a 就高不重复 holder's grant moves to the record that superseded it)."""
    live = exists().where(Grant.entitlement_id == Entitlement.id, text(f"grants.{LIVE_GRANT}"))
    return Entitlement.review_flag.is_(True) & Entitlement.status.in_(NOTHING_GIVEN) & ~live


def close_flags(session: Session, version_ids: Sequence[int], *, actor: str, reason: str) -> int:
    """Close the flags of these versions' records that gave nothing, a chunk at a time,
    with one ``review_closed`` event each; returns how many."""
    if not version_ids:
        return 0
    closed = 0
    after = 0
    while True:
        ids = session.scalars(
            select(Entitlement.id)
            .where(
                Entitlement.policy_version_id.in_(version_ids), Entitlement.id > after, _closable()
            )
            .order_by(Entitlement.id)
            .limit(CHUNK)
        ).all()
        if not ids:
            return closed
        after = ids[-1]
        now = utcnow()
        # Checked again in the statement: a reviewer may have decided one meanwhile (the
        # decision locks the record and reads its flag, so only one of the two counts).
        rows = session.execute(
            update(Entitlement)
            .where(Entitlement.id.in_(ids), _closable())
            .values(review_flag=False, review_reason=None, review_criteria=None, updated_at=now)
            .returning(Entitlement.id, Entitlement.uscc, Entitlement.policy_version_id)
            .execution_options(synchronize_session=False)
        ).all()
        record_events(
            session,
            [
                {
                    "at": now,
                    "actor": actor,
                    "kind": "review_closed",
                    "uscc": u,
                    "policy_version_id": v,
                    "entity": f"entitlement:{i}",
                    "reason": reason,
                    "data": None,
                }
                for i, u, v in rows
            ],
        )
        closed += len(rows)
