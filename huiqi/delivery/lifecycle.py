"""Time-driven steps: offers expire at their policy's end date, and what versions retired
before retiring withdrew left open is withdrawn."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from huiqi import clock
from huiqi.accounts.access import Actor, require_role
from huiqi.accounts.roles import Role
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Entitlement, utcnow
from huiqi.delivery.retirement import withdraw_left_open
from huiqi.delivery.statuses import RecordStatus


def expire_offers(
    factory: sessionmaker[Session], *, actor: Actor, today: dt.date | None = None
) -> int:
    """Mark offers past their end date as expired (one event each); return how many."""
    require_role(actor, "expire offers", Role.SCHEDULER)
    day = today or clock.today()
    with transaction(factory) as s:
        # One statement that both chooses and changes the rows: a parameter per row would
        # break above PostgreSQL's 65,535, and an offer claimed between a SELECT and an
        # UPDATE by id would be overwritten as expired.
        rows = s.execute(
            update(Entitlement)
            .where(Entitlement.status == RecordStatus.OFFERED, Entitlement.expires_on < day)
            .values(
                status=RecordStatus.EXPIRED,
                status_reason="the offer ended unclaimed",
                updated_at=utcnow(),
            )
            .returning(
                Entitlement.id,
                Entitlement.uscc,
                Entitlement.policy_version_id,
                Entitlement.expires_on,
            )
            .execution_options(synchronize_session=False)
        ).all()
        if not rows:
            return 0
        now = utcnow()
        record_events(
            s,
            [
                {
                    "at": now,
                    "actor": actor.username,
                    "kind": "expired",
                    "uscc": u,
                    "policy_version_id": pv,
                    "entity": f"entitlement:{i}",
                    "reason": reasons.OFFER_ENDED(day=end),
                    "data": None,
                }
                for i, u, pv, end in rows
            ],
        )
        return len(rows)


def withdraw_retired_left_open(factory: sessionmaker[Session], *, actor: Actor) -> int:
    """Withdraw the offers and unsubmitted applications still open under retired versions
    (left by versions retired before retiring withdrew them), each enterprise told why;
    idempotent. Return how many were withdrawn."""
    require_role(actor, "withdraw records left open under retired versions", Role.SCHEDULER)
    with transaction(factory) as s:
        return withdraw_left_open(s, actor=actor.username)
