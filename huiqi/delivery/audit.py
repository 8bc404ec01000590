"""The audit log: every grant, claim, rejection, expiry, flag, payment and account change
is an event, and the events form a tamper-evident hash chain.

Events are staged in the caller's session and written when its transaction
commits: at that moment the one ``audit_head`` row is locked, each staged event
gets the next ``seq`` and ``hash = SHA-256(prev_hash ‖ canonical JSON of the
event)``, and the head moves on. The head lock is the last lock a transaction
takes, so it cannot take part in a deadlock, and it is held only for the insert
and the commit. A rolled-back transaction (or savepoint, through
:func:`savepoint`) leaves no event behind.

The database already refuses UPDATE and DELETE on ``events``; the chain also
catches what a superuser could do around that (``huiqi audit verify``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session, SessionTransaction

from huiqi.db.bulk import bulk_insert
from huiqi.db.clock import utcnow
from huiqi.delivery.models import AuditHead, Event, table_of

GENESIS = "0" * 64
_STAGED = "huiqi_staged_events"
_VERIFY_CHUNK = 5_000


def canonical(row: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields as sorted, compact JSON."""
    at = row["at"]
    fields = {
        "seq": row["seq"],
        "at": at.isoformat(timespec="microseconds") if isinstance(at, dt.datetime) else at,
        "actor": row["actor"],
        "kind": row["kind"],
        "uscc": row.get("uscc"),
        "policy_version_id": row.get("policy_version_id"),
        "entity": row.get("entity"),
        "reason": row.get("reason"),
        "data": row.get("data"),
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(row)).hexdigest()


def _staged(session: Session) -> list[dict[str, Any]]:
    staged: list[dict[str, Any]] = session.info.setdefault(_STAGED, [])
    return staged


def record_events(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Stage events (dicts of Event columns) to be chained and written at commit."""
    now = utcnow()
    staged = _staged(session)
    for row in rows:
        staged.append(
            {
                "at": row.get("at") or now,
                "actor": row["actor"],
                "kind": row["kind"],
                "uscc": row.get("uscc"),
                "policy_version_id": row.get("policy_version_id"),
                "entity": row.get("entity"),
                "reason": row.get("reason"),
                "data": row.get("data"),
            }
        )


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
) -> None:
    """Append one event in the caller's transaction (it commits or rolls back with it)."""
    record_events(
        session,
        [
            {
                "actor": actor,
                "kind": kind,
                "uscc": uscc,
                "policy_version_id": policy_version_id,
                "entity": entity,
                "reason": reason,
                "data": data,
            }
        ],
    )


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """``session.begin_nested()`` that also forgets the events staged inside it on rollback."""
    staged = _staged(session)
    mark = len(staged)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del staged[mark:]
        raise


def flush_events(session: Session) -> int:
    """Chain and insert the staged events now (called at commit); return how many."""
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return 0
    head = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()
    ).one()
    seq, prev = head.seq, head.hash
    for row in staged:
        seq += 1
        row["seq"] = seq
        row["prev_hash"] = prev
        row["hash"] = prev = chain_hash(prev, row)
    bulk_insert(session, table_of(Event), staged)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    return len(staged)


@sa_event.listens_for(Session, "before_commit")
def _write_staged_events(session: Session) -> None:
    flush_events(session)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_staged_events(session: Session, transaction: SessionTransaction) -> None:
    # After the outermost transaction ends, staged events were either written (commit)
    # or must vanish with the rest of its work (rollback).
    if transaction.parent is None:
        session.info.pop(_STAGED, None)


@dataclass(frozen=True)
class ChainReport:
    """What ``audit verify`` found: how many events it checked, and the first broken one."""

    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain in ``seq`` order and recompute every hash; stop at the first break."""
    prev, expected_seq, checked, last = GENESIS, 1, 0, 0
    columns = [c for c in table_of(Event).c]
    while True:
        rows = session.execute(
            select(*columns).where(Event.seq > last).order_by(Event.seq).limit(_VERIFY_CHUNK)
        ).all()
        for r in rows:
            row = dict(r._mapping)
            if row["seq"] != expected_seq:
                return ChainReport(
                    checked,
                    expected_seq,
                    None,
                    f"event seq {expected_seq} is missing (next found: seq {row['seq']}, id {row['id']})",
                )
            if row["prev_hash"] != prev:
                return ChainReport(
                    checked,
                    row["seq"],
                    row["id"],
                    f"event {row['id']} (seq {row['seq']}) does not follow the event before it",
                )
            if chain_hash(prev, row) != row["hash"]:
                return ChainReport(
                    checked,
                    row["seq"],
                    row["id"],
                    f"event {row['id']} (seq {row['seq']}) was changed after it was written",
                )
            prev, expected_seq, checked, last = (
                row["hash"],
                expected_seq + 1,
                checked + 1,
                row["seq"],
            )
        if len(rows) < _VERIFY_CHUNK:
            break
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    if head.seq != last or head.hash != prev:
        return ChainReport(
            checked,
            head.seq,
            None,
            f"the chain ends at seq {last} but the head says seq {head.seq}: events were removed",
        )
    return ChainReport(checked)
