"""The commitments (告知承诺) an enterprise made on a record: when, by whom, on which
criteria.

A one-click claim keeps them in its audit event (``claim``, ``data.attested``); an
application in its row (``applications.attested``, with ``submitted_at``) and its
``submit`` event. Read here for the pages and the grant's notice, which show what the
enterprise vouched for beside what the data proved. Callers have read the record
through a service that checked the actor (the policy page's records, the notice).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery.claims import criterion_labels
from huiqi.delivery.models import Application, Entitlement, Event, PolicyVersion


@dataclass(frozen=True)
class CommitmentsMade:
    made_at: dt.datetime
    by: str  # the user who confirmed them
    labels: tuple[tuple[str, str], ...]  # (Chinese, English) label of each criterion


def _last_event(session: Session, entity: str, kind: str) -> Event | None:
    return session.scalar(
        select(Event)
        .where(Event.entity == entity, Event.kind == kind)
        .order_by(Event.id.desc())
        .limit(1)
    )


def commitments_made(session: Session, entitlement_id: int) -> CommitmentsMade | None:
    """What the enterprise committed to on this record (None: nothing, or not yet)."""
    ent = session.get(Entitlement, entitlement_id)
    if ent is None:
        return None
    app = session.scalar(select(Application).where(Application.entitlement_id == ent.id))
    if app is not None:
        if not app.attested or app.submitted_at is None:
            return None
        event = _last_event(session, f"application:{app.id}", "submit")
        ids, at = list(app.attested), app.submitted_at
    else:
        event = _last_event(session, f"entitlement:{ent.id}", "claim")
        ids = list((event.data or {}).get("attested") or []) if event else []
        if not ids or event is None:
            return None
        at = event.at
    pv = session.get(PolicyVersion, ent.policy_version_id)
    labels = criterion_labels(pv, ids) if pv else tuple((i, i) for i in ids)
    return CommitmentsMade(at, event.actor if event else "", labels)
