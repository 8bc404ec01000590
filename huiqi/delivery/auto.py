"""免申即享: grant a chunk of eligible enterprises at once, or one by one where shared state
(an exclusivity slot held by another policy, a shared cap) needs the careful path."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.db.bulk import insert_tuples
from huiqi.db.jsontext import compact_json
from huiqi.delivery import counts, notify
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_events
from huiqi.delivery.chunkaudit import chunk_event
from huiqi.delivery.derive import derive_grants, derive_slots
from huiqi.delivery.grantmaker import make_grant
from huiqi.delivery.models import (
    Entitlement,
    ExclusivitySlot,
    PolicyVersion,
    table_of,
    utcnow,
)
from huiqi.delivery.outranked import exclude_outranked, others_may_be_open
from huiqi.delivery.records import (
    RECORD_COLUMNS,
    DeliveryReport,
    granted_messages,
    ids_of,
    max_id,
    message_for,
    record_constants,
    record_values,
)
from huiqi.delivery.statuses import BudgetMode, GrantStatus, RecordStatus
from huiqi.delivery.zero import now_given_an_amount, zero_records_of
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text


def grant_in_bulk(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> list[ResultRow]:
    """Grant a chunk in bulk; return rows that need the one-by-one path (slot holders)."""
    slow: list[ResultRow] = []
    if pv.exclusivity_group:
        # By the range of the chunk's USCCs, narrowed here (as ``deliver_chunk`` does).
        chunk = {r.uscc for r in rows}
        held = chunk.intersection(
            s.scalars(
                select(ExclusivitySlot.uscc).where(
                    ExclusivitySlot.group_name == pv.exclusivity_group,
                    ExclusivitySlot.benefit_period == pv.benefit_period,
                    ExclusivitySlot.uscc.between(min(chunk), max(chunk)),
                )
            )
        )
        slow = [r for r in rows if r.uscc in held]
        rows = [r for r in rows if r.uscc not in held]
    cap = pv.per_enterprise_cap_fen
    amounts = {
        r.uscc: min(r.amount_fen or 0, cap) if cap is not None else (r.amount_fen or 0)
        for r in rows
    }
    provisional = pv.budget_fen is not None and pv.budget_mode == BudgetMode.PRO_RATA
    statuses: dict[str, RecordStatus] = {}
    if pv.budget_fen is not None and not provisional:
        # Lock the version row so concurrent claims and this chunk see one running total.
        locked = s.execute(
            select(PolicyVersion.committed_fen).where(PolicyVersion.id == pv.id).with_for_update()
        ).scalar_one()
        remaining = pv.budget_fen - locked
        for r in rows:
            if amounts[r.uscc] <= remaining:
                statuses[r.uscc] = RecordStatus.GRANTED
                remaining -= amounts[r.uscc]
            else:
                statuses[r.uscc] = RecordStatus.BUDGET_EXHAUSTED
    else:
        statuses = {
            r.uscc: RecordStatus.PENDING_ALLOCATION if provisional else RecordStatus.GRANTED
            for r in rows
        }
    # One tuple per record (no dict per row); what every record of the chunk shares
    # goes in once. The trace is stored once, in the record; the grant refers to it.
    now = utcnow()
    spent = f"the budget of {yuan_text(pv.budget_fen or 0)} yuan is spent; grants are made in USCC order"
    records = []
    for r in rows:
        status = statuses[r.uscc]
        requested = r.amount_fen
        if status == RecordStatus.BUDGET_EXHAUSTED:
            reason: str | None = spent
        elif amounts[r.uscc] < (requested or 0):
            reason = f"capped from {yuan_text(requested or 0)} yuan"
        else:
            reason = None
        records.append((r.uscc, r.status, status, requested, compact_json(r.ledger), reason))
    if not records:
        return slow
    winners = [r for r in rows if statuses[r.uscc] != RecordStatus.BUDGET_EXHAUSTED]
    won = RecordStatus.PENDING_ALLOCATION if provisional else RecordStatus.GRANTED
    made: list[tuple[int, str, int, int]] = []
    # The chunk's records and grants are counted once, set-based, at the block's end.
    with counts.counted_per_chunk(s):
        before = max_id(s, Entitlement)
        insert_tuples(
            s,
            table_of(Entitlement),
            RECORD_COLUMNS,
            records,
            constants=record_constants(pv, sid, now),
            json_text=("explanation",),
        )
        if pv.exclusivity_group and winners:
            derive_slots(s, pv, after=before, at=now, status=won)
        if winners:
            made = derive_grants(
                s,
                pv,
                after=before,
                at=now,
                status=won,
                grant_status=GrantStatus.PROVISIONAL if provisional else GrantStatus.GRANTED,
            )
    if len(made) != len(winners):  # pragma: no cover - the chunk's records are its own
        raise IntegrityError("derived grants", {}, Exception("a chunk's grants went astray"))
    if pv.exclusivity_group and winners and others_may_be_open(s, pv):
        # After the counted block (it only inserts): open offers these grants outrank.
        exclude_outranked(s, pv, [r.uscc for r in winners], actor=actor)
    grant_ids = {m[1]: m[0] for m in made}
    refused = [r.uscc for r in rows if statuses[r.uscc] == RecordStatus.BUDGET_EXHAUSTED]
    ids = ids_of(s, Entitlement, pv, refused, after=before) if refused else {}
    total = sum(amounts[r.uscc] for r in winners)
    if pv.budget_fen is not None and not provisional and total:
        done = cast(
            "CursorResult[Any]",
            s.execute(
                update(PolicyVersion)
                .where(
                    PolicyVersion.id == pv.id,
                    PolicyVersion.committed_fen + total <= PolicyVersion.budget_fen,
                )
                .values(committed_fen=PolicyVersion.committed_fen + total)
            ),
        )
        if done.rowcount != 1:  # pragma: no cover - the row lock above makes this impossible
            raise IntegrityError("budget guard", {}, Exception("budget would be exceeded"))
    events = []
    chunked = made if not provisional else []  # granted amounts never change: one event
    for r in rows:
        st = statuses[r.uscc]
        if st == RecordStatus.GRANTED:
            continue
        kind = "provisional_grant" if st == RecordStatus.PENDING_ALLOCATION else st
        entity = (
            f"grant:{grant_ids[r.uscc]}" if r.uscc in grant_ids else f"entitlement:{ids[r.uscc]}"
        )
        events.append(
            {
                "at": now,
                "actor": actor,
                "kind": kind,
                "uscc": r.uscc,
                "policy_version_id": pv.id,
                "entity": entity,
                "reason": reasons.ALL_MET_AUTO()
                if st != RecordStatus.BUDGET_EXHAUSTED
                else reasons.BUDGET_SPENT(),
                "data": {
                    "amount_fen": amounts[r.uscc],
                    "requested_fen": r.amount_fen,
                    "snapshot_id": sid,
                },
            }
        )
    if chunked:
        events.append(
            chunk_event(
                actor=actor, at=now, policy_version_id=pv.id, snapshot_id=sid, members=chunked
            )
        )
    record_events(s, events)
    prefix, period = f"granted:{pv.id}:", pv.benefit_period
    messages = [
        notify.Message(
            uscc=r.uscc,
            kind="granted",
            subject=subject,
            body=body,
            dedupe_key=f"{prefix}{r.uscc}:{period}",
        )
        for r, (subject, body) in zip(
            winners,
            granted_messages(pv, winners, amounts, "provisional" if provisional else "granted"),
            strict=True,
        )
    ]
    # The keys name records made in this savepoint: a duplicate falls back to one by one.
    notify.enqueue_many(s, messages, count=False, new_keys=True)
    rep.granted += len(winners)
    rep.granted_fen += total
    rep.provisional += len(winners) if provisional else 0
    rep.new_records += len(records)
    for r in rows:
        if statuses[r.uscc] == RecordStatus.BUDGET_EXHAUSTED:
            key = RecordStatus.BUDGET_EXHAUSTED.value
            rep.refused[key] = rep.refused.get(key, 0) + 1
    return slow


def grant_one_by_one(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> None:
    for r in rows:
        ent = Entitlement(**record_values(pv, r, sid, RecordStatus.PENDING))
        s.add(ent)
        s.flush()
        rep.new_records += 1
        _grant_record(s, pv, ent, r, actor, rep)


def regrant_zero(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> None:
    """Grant the version's ``zero_amount`` records whose enterprise this snapshot's data
    (``rows``, its results for enterprises that have a record) now give an amount: the 0
    was what the data gave, not a decision about the enterprise. The record takes the
    new evaluation (amount, explanation, snapshot) so that its grant is reproduced from
    it, then is granted as any other (exclusivity, cap, budget), with its message."""
    now_of = now_given_an_amount(rows)
    if not now_of:
        return
    records = s.scalars(
        select(Entitlement).where(*zero_records_of(pv, now_of)).with_for_update()
    ).all()
    for ent in records:
        r = now_of[ent.uscc]
        ent.computed_fen, ent.explanation = r.amount_fen, r.ledger
        ent.snapshot_id = ent.last_snapshot_id = sid
        ent.status, ent.status_reason, ent.updated_at = RecordStatus.PENDING, None, utcnow()
        s.flush()
        _grant_record(s, pv, ent, r, actor, rep)


def _grant_record(
    s: Session, pv: PolicyVersion, ent: Entitlement, r: ResultRow, actor: str, rep: DeliveryReport
) -> None:
    """Grant one pending record (make_grant) and tell its enterprise, or count the refusal."""
    out = make_grant(s, pv, ent, actor=actor)
    if out.grant is None:
        rep.refused[out.status] = rep.refused.get(out.status, 0) + 1
        # 就高不重复 behind a grant already sent for payment: flagged for a reviewer.
        rep.flagged += 1 if ent.review_flag else 0
        return
    rep.granted += 1
    rep.granted_fen += out.grant.amount_fen
    provisional = out.grant.status == GrantStatus.PROVISIONAL
    kind = "provisional" if provisional else "granted"
    subject, body = message_for(pv, r, kind, out.grant.amount_fen)
    notify.enqueue_many(
        s,
        [
            notify.Message(
                uscc=r.uscc,
                kind="granted",
                subject=subject,
                body=body,
                dedupe_key=f"granted:{pv.id}:{r.uscc}:{pv.benefit_period}",
            )
        ],
    )
