"""The audit log: every grant, claim, rejection, expiry, flag and payment is an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huiqi.delivery.models import Event


def record_event(
    session: Session,
    *,
    actor: str,
    kind: str,
    uscc: str | None = None,
    policy_version_id: int | None = None,
    entity: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event in the caller's transaction (it commits or rolls back with it)."""
    event = Event(
        actor=actor,
        kind=kind,
        uscc=uscc,
        policy_version_id=policy_version_id,
        entity=entity,
        reason=reason,
        data=data,
    )
    session.add(event)
    return event
