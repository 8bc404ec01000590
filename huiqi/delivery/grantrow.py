"""The grant row a delivery record is granted with: one builder for the careful path
(:mod:`huiqi.delivery.grantmaker`) and a reviewer's top-up (:mod:`huiqi.delivery.topup`)."""

from __future__ import annotations

from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus


def new_grant(
    pv: PolicyVersion, ent: Entitlement, requested: int, amount: int, *, provisional: bool
) -> Grant:
    """The grant row of ``ent`` under ``pv`` (not yet added to the session); its explanation
    is its record's (huiqi.delivery.explanations)."""
    return Grant(
        entitlement_id=ent.id,
        policy_version_id=pv.id,
        policy_id=pv.policy_id,
        uscc=ent.uscc,
        benefit_period=ent.benefit_period,
        requested_fen=requested,
        amount_fen=amount,
        status=GrantStatus.PROVISIONAL if provisional else GrantStatus.GRANTED,
        snapshot_id=ent.snapshot_id,
        content_hash=pv.content_hash,
        explanation=None,
    )
