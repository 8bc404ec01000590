"""The audit log: every grant, claim, rejection, expiry, flag, payment and account change
is an event, and the events form a tamper-evident hash chain.

Events are staged in the caller's session and written when its transaction
commits. There are ``CHAINS`` chains, each with a head row in ``audit_head``; an
event belongs to the chain its enterprise (USCC) hashes to, events without one to
chain 0, so concurrent claims of different enterprises rarely wait for each
other. At commit the heads of the chains involved are locked (in id order), each
staged event gets the next ``seq`` of its chain and ``hash = SHA-256(prev_hash ‖
canonical JSON of the event)``, and the heads move on. The head locks are the
last locks a transaction takes, so they cannot take part in a deadlock, and they
are held only for the insert and the commit. A rolled-back transaction (or
savepoint, through :func:`savepoint`) leaves no event behind.

The database already refuses UPDATE and DELETE on ``events``; the chain also
catches what a superuser could do around that (``huiqi audit verify``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, tuple_, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from huiqi.accounts.access import Actor
from huiqi.db.bulk import bulk_insert
from huiqi.db.clock import utcnow
from huiqi.db.jsontext import canonical_json
from huiqi.delivery.models import AuditHead, Event, table_of

GENESIS = "0" * 64
CHAINS = 16
_STAGED = "huiqi_staged_events"
_VERIFY_CHUNK = 5_000


def canonical(row: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields as sorted, compact JSON."""
    at = row["at"]
    fields = {
        "chain": row["chain"],
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
    return canonical_json(fields)


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(row)).hexdigest()


def chain_of(uscc: str | None) -> int:
    """The chain an event of this enterprise belongs to (0 for events of no enterprise)."""
    return zlib.crc32(uscc.encode("ascii", "replace")) % CHAINS if uscc else 0


def _staged(session: Session) -> list[dict[str, Any]]:
    staged: list[dict[str, Any]] = session.info.setdefault(_STAGED, [])
    return staged


# The key of an event's data naming the token its actor came with (record_event).
TOKEN_KEY = "token_id"
_EVENT_KEYS = ("actor", "kind", "uscc", "policy_version_id", "entity", "reason", "data")


def record_events(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Stage events (dicts of Event columns) to be chained and written at commit.

    The dicts are kept (not copied): the caller hands them over.
    """
    now = utcnow()
    staged = _staged(session)
    for row in rows:
        if len(row) != len(_EVENT_KEYS) + 1 or "at" not in row:  # bulk rows come complete
            row.setdefault("at", now)
            for key in _EVENT_KEYS:
                row.setdefault(key, None)
        staged.append(row)


def actor_name(actor: str | Actor) -> str:
    """The user name an event records for ``actor``."""
    return actor.username if isinstance(actor, Actor) else actor


def record_event(
    session: Session,
    *,
    actor: str | Actor,
    kind: str,
    uscc: str | None = None,
    policy_version_id: int | None = None,
    entity: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event in the caller's transaction (it commits or rolls back with it).

    An :class:`Actor` that came with a token is recorded with the token's id in the
    event's data (``token_id``): who acted is the user, and through which credential is
    the token (an admin may create one for another user; its ``token_created`` event
    names the admin)."""
    if isinstance(actor, Actor) and actor.token_id is not None:
        data = {**(data or {}), TOKEN_KEY: actor.token_id}
    record_events(
        session,
        [
            {
                "actor": actor_name(actor),
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
    for row in staged:
        row["chain"] = chain_of(row.get("uscc"))
    counts: dict[int, int] = {}
    for row in staged:
        counts[row["chain"]] = counts.get(row["chain"], 0) + 1
    if len(counts) == 1:
        ((chain, n),) = counts.items()
        heads = {chain: _take_head(session, chain, n)}
    else:
        heads = _take_heads(session, counts)
    for row in staged:
        head = heads[row["chain"]]
        head[0] += 1
        row["seq"] = head[0]
        row["prev_hash"] = head[1]
        row["hash"] = head[1] = chain_hash(head[1], row)
    bulk_insert(session, table_of(Event), staged)
    return len(staged)


def _take_head(session: Session, chain: int, n: int) -> list[Any]:
    """Move chain ``chain`` on by ``n`` events (the UPDATE locks its head row until the
    transaction ends; heads are taken in chain order, so never in a cycle); return the
    seq and the hash the first new event follows."""
    new_seq = session.execute(
        update(AuditHead)
        .where(AuditHead.id == chain)
        .values(seq=AuditHead.seq + n)
        .returning(AuditHead.seq)
    ).scalar_one()
    base = new_seq - n
    last = session.scalar(select(Event.hash).where(Event.chain == chain, Event.seq == base))
    return [base, last or GENESIS]


def _take_heads(session: Session, counts: dict[int, int]) -> dict[int, list[Any]]:
    """:func:`_take_head` for several chains in three statements: lock the heads in id
    order (never in a cycle with another writer), move each on, read the hashes the
    first new events follow."""
    chains = sorted(counts)
    session.execute(
        select(AuditHead.id)
        .where(AuditHead.id.in_(chains))
        .order_by(AuditHead.id)
        .with_for_update()
    ).all()
    moved = session.execute(
        update(AuditHead)
        .where(AuditHead.id.in_(chains))
        .values(seq=AuditHead.seq + case(counts, value=AuditHead.id, else_=0))
        .returning(AuditHead.id, AuditHead.seq)
    ).all()
    base = {chain: seq - counts[chain] for chain, seq in moved}
    last = dict(
        session.execute(
            select(Event.chain, Event.hash).where(
                tuple_(Event.chain, Event.seq).in_([(c, b) for c, b in base.items() if b > 0])
            )
        ).all()
    )
    return {chain: [base[chain], last.get(chain) or GENESIS] for chain in chains}


@sa_event.listens_for(Session, "before_commit")
def _write_staged_events(session: Session) -> None:
    # The hook also fires when a savepoint is released: events staged inside it wait
    # for the outermost commit, so a transaction moves its chain heads once.
    if not session.in_nested_transaction():
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
    """Walk every chain in ``seq`` order and recompute every hash; stop at the first break."""
    checked = 0
    heads = session.execute(select(AuditHead.id, AuditHead.seq).order_by(AuditHead.id))
    for chain, head_seq in heads.all():
        report = _verify_one(session, chain, head_seq)
        checked += report.checked
        if not report.ok:
            return ChainReport(checked, report.broken_seq, report.broken_id, report.problem)
    return ChainReport(checked)


def _verify_one(session: Session, chain: int, head_seq: int) -> ChainReport:
    prev, expected, checked, last = GENESIS, 1, 0, 0
    columns = list(table_of(Event).c)
    where = f"chain {chain}: "
    while True:
        rows = session.execute(
            select(*columns)
            .where(Event.chain == chain, Event.seq > last)
            .order_by(Event.seq)
            .limit(_VERIFY_CHUNK)
        ).all()
        for r in rows:
            row = dict(r._mapping)
            if row["seq"] != expected:
                return ChainReport(
                    checked,
                    expected,
                    None,
                    f"{where}event seq {expected} is missing"
                    f" (next found: seq {row['seq']}, id {row['id']})",
                )
            if row["prev_hash"] != prev:
                return ChainReport(
                    checked,
                    row["seq"],
                    row["id"],
                    f"{where}event {row['id']} (seq {row['seq']}) does not follow the event"
                    " before it",
                )
            if chain_hash(prev, row) != row["hash"]:
                return ChainReport(
                    checked,
                    row["seq"],
                    row["id"],
                    f"{where}event {row['id']} (seq {row['seq']}) was changed after it was written",
                )
            prev, expected, checked, last = row["hash"], expected + 1, checked + 1, row["seq"]
        if len(rows) < _VERIFY_CHUNK:
            break
    if head_seq != last:
        return ChainReport(
            checked,
            head_seq,
            None,
            f"{where}the chain ends at seq {last} but its head says seq {head_seq}:"
            " events were removed",
        )
    return ChainReport(checked)
