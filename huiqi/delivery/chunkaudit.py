"""The audit event of a bulk-granted chunk: one ``grants_made`` event for the grants a
免申即享 publish makes in one transaction, instead of one ``grant`` event per grant.

Its data holds the members' grant ids (as runs of consecutive ids), how many there
are, their total, and a SHA-256 over the members (grant id, USCC, requested and
granted amount, in id order). The event itself is covered by the hash chain, and
``huiqi audit verify`` recomputes the digest from ``grants`` (:func:`verify_chunks`),
so changing, adding or removing a member is found as surely as changing an event.
As with the disbursement export's ``batch_exported`` event, a grant's trail and an
enterprise's trail still show the event that holds the grant (:func:`holding_entities`).

Only grants made *granted* are chunked: their amounts never change afterwards.
Provisional grants (pro rata) keep an event each, since allocation changes their amount.

The event's entity is ``grants:<version id>:<the chunk's timestamp>``, the time its grants
were created (``grants.created_at``, one per chunk): the chunk holding a grant is found
by one equality lookup in the ``events.entity`` index, and its data's runs confirm it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import ChainReport
from huiqi.delivery.models import Event, Grant
from huiqi.money import format_yuan

KIND = "grants_made"
_PREFIX = "grants:"
_READ_CHUNK = 5_000


def member_line(grant_id: int, uscc: str, requested_fen: int, amount_fen: int) -> bytes:
    """One grant's line in a chunk's membership digest (grants in id order)."""
    return f"{grant_id},{uscc},{requested_fen},{amount_fen}\n".encode("ascii")


def runs(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs of consecutive ids."""
    listed = sorted(ids)
    if listed and listed[-1] - listed[0] == len(listed) - 1 == len(set(listed)) - 1:
        return [[listed[0], listed[-1]]]  # one run, as a bulk chunk's grants mostly are
    out: list[list[int]] = []
    for i in listed:
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def entity_of(policy_version_id: int, created_at: dt.datetime) -> str:
    """The entity of the chunk event of a version's grants created at ``created_at``."""
    return f"{_PREFIX}{policy_version_id}:{created_at.strftime('%Y%m%dT%H%M%S.%f')}"


def chunk_event(
    *,
    actor: str,
    at: dt.datetime,
    policy_version_id: int,
    snapshot_id: int,
    members: Sequence[tuple[int, str, int, int]],
) -> dict[str, Any]:
    """The event (a dict of Event columns, for ``record_events``) of the grants
    ``members``: (grant id, USCC, requested fen, granted fen), any order, all created at
    ``at``."""
    ordered = sorted(members)
    # The same digest as one ``member_line`` at a time, hashed in one call.
    text = "".join([f"{i},{u},{r},{a}\n" for i, u, r, a in ordered])
    digest = hashlib.sha256(text.encode("ascii"))
    total = sum(m[3] for m in ordered)
    return {
        "at": at,
        "actor": actor,
        "kind": KIND,
        "uscc": None,
        "policy_version_id": policy_version_id,
        "entity": entity_of(policy_version_id, at),
        "reason": reasons.GRANTS_MADE(n=len(ordered), amount=format_yuan(total, grouping=False)),
        "data": {
            "grants": len(ordered),
            "total_fen": total,
            "snapshot_id": snapshot_id,
            "grant_ids": runs(m[0] for m in ordered),
            "members_sha256": digest.hexdigest(),
        },
    }


def _holds(data: dict[str, Any] | None, grant_id: int) -> bool:
    return any(a <= grant_id <= b for a, b in (data or {}).get("grant_ids", []))


def chunk_event_of(session: Session, grant_id: int) -> tuple[int, str, str] | None:
    """The chunk event that holds this grant, if one does: (event id, entity, hash)."""
    grant = session.execute(
        select(Grant.policy_version_id, Grant.created_at).where(Grant.id == grant_id)
    ).first()
    if grant is None:
        return None
    return _holding(session, grant_id, entity_of(*grant))


def _holding(session: Session, grant_id: int, entity: str) -> tuple[int, str, str] | None:
    events = session.execute(
        select(Event.id, Event.entity, Event.hash, Event.data)
        .where(Event.entity == entity, Event.kind == KIND)
        .order_by(Event.id)
    ).all()
    return next(((i, e, h) for i, e, h, data in events if _holds(data, grant_id)), None)


def entities_of_enterprise(session: Session, uscc: str) -> list[str]:
    """The entities of the chunk events holding any of this enterprise's grants."""
    grants = session.execute(
        select(Grant.id, Grant.policy_version_id, Grant.created_at).where(Grant.uscc == uscc)
    ).all()
    found = {_holding(session, g, entity_of(pv, at)) for g, pv, at in grants}
    return sorted(f[1] for f in found if f)


def verify_chunks(session: Session) -> ChainReport:
    """Recompute each chunk event's membership digest from ``grants`` and compare; stop at
    the first chunk that differs."""
    checked = 0
    events = session.execute(
        select(Event.id, Event.entity, Event.data).where(Event.kind == KIND).order_by(Event.id)
    ).all()
    for event_id, entity, data in events:
        digest, n = hashlib.sha256(), 0
        for first, last in (data or {}).get("grant_ids", []):
            members = (
                select(Grant.id, Grant.uscc, Grant.requested_fen, Grant.amount_fen)
                .where(Grant.id >= first, Grant.id <= last)
                .order_by(Grant.id)
                .execution_options(yield_per=_READ_CHUNK)
            )
            for member in session.execute(members):
                digest.update(member_line(*member))
                n += 1
        checked += 1
        want = (data or {}).get("members_sha256")
        if digest.hexdigest() != want or n != (data or {}).get("grants"):
            return ChainReport(
                checked,
                None,
                event_id,
                f"grant chunk {entity}: its grants or amounts differ from what event"
                f" {event_id} recorded ({n} grant(s) now, {(data or {}).get('grants')} then)",
            )
    return ChainReport(checked)
