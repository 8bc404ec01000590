"""An open offer shows the amount its enterprise's current data gives.

A 直达快享 offer is made on one snapshot; until the enterprise claims it, newer data can
change what the policy gives (more insured staff, a new year's revenue). When a
re-delivery finds the enterprise still eligible with another amount, its unclaimed offer
takes the new amount with the evaluation it came from: ``computed_fen``, the explanation
and the snapshot move together, so the grant a claim makes is reproduced from that
snapshot like any other (``huiqi audit recompute``). Each change is an audit event
(``offer_amount``, from and to) and a message to the enterprise. A claimed offer has its
grant and never changes; nor does any other record.

A 申报 application not yet submitted is refreshed the same way: its record's amount and
its pre-filled form (estimate, fields, criteria) take the new evaluation, with an
``application_estimate`` event and message. A submitted application keeps the form the
enterprise submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Application, Entitlement, PolicyVersion, utcnow
from huiqi.delivery.offers import prefill
from huiqi.delivery.statuses import DeliveryMode, MatchStatus, RecordStatus
from huiqi.delivery.zero_offers import withdraw_at_zero
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text


def refresh_offers(
    s: Session, pv: PolicyVersion, rows: Sequence[ResultRow], sid: int, actor: str
) -> int:
    """Give the version's open offers, or unsubmitted applications, among ``rows`` (this
    snapshot's eligible results) their current amount; return how many changed. In the
    caller's transaction."""
    if pv.delivery == DeliveryMode.CONFIRM:
        open_status, kind = RecordStatus.OFFERED, "offer_amount"
    elif pv.delivery == DeliveryMode.APPLY:
        open_status, kind = RecordStatus.APPLICATION_OPEN, "application_estimate"
    else:
        return 0
    now_of = {r.uscc: r for r in rows if r.status == MatchStatus.ELIGIBLE}
    if not now_of:
        return 0
    offers = s.execute(
        select(Entitlement.id, Entitlement.uscc, Entitlement.computed_fen)
        .where(
            Entitlement.policy_version_id == pv.id,
            Entitlement.benefit_period == pv.benefit_period,
            Entitlement.uscc.in_(sorted(now_of)),
            Entitlement.status == open_status,
            Entitlement.snapshot_id != sid,
        )
        .with_for_update()
    ).all()
    changed = [(i, u, old) for i, u, old in offers if old != now_of[u].amount_fen]
    # Nothing to claim or apply for at 0: withdrawn, never "updated to 0.00 yuan".
    zeroed = [c for c in changed if not now_of[c[1]].amount_fen]
    changed = [c for c in changed if now_of[c[1]].amount_fen]
    withdrawn = withdraw_at_zero(s, pv, open_status, zeroed, now_of, sid, actor)
    now = utcnow()
    for record_id, code, _ in changed:
        row = now_of[code]
        # Still open in the same statement: a claim (or submission) that got there first
        # keeps its amount.
        moved = s.execute(
            update(Entitlement)
            .where(Entitlement.id == record_id, Entitlement.status == open_status)
            .values(
                computed_fen=row.amount_fen,
                explanation=row.ledger,
                snapshot_id=sid,
                last_snapshot_id=sid,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if open_status == RecordStatus.APPLICATION_OPEN and cast(Any, moved).rowcount:
            s.execute(
                update(Application)
                .where(Application.entitlement_id == record_id)
                .values(prefilled=prefill(row))
                .execution_options(synchronize_session=False)
            )
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": kind,
                "uscc": code,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{record_id}",
                "reason": (
                    reasons.OFFER_AMOUNT_CHANGED
                    if kind == "offer_amount"
                    else reasons.ESTIMATE_CHANGED
                )(
                    snapshot=sid,
                    amount=yuan_text(now_of[code].amount_fen or 0),
                    was=yuan_text(old or 0),
                ),
                "data": {"from_fen": old, "to_fen": now_of[code].amount_fen, "snapshot_id": sid},
            }
            for record_id, code, old in changed
        ],
    )
    notify.enqueue_many(
        s,
        [_message(pv, kind, code, old, now_of[code].amount_fen, sid) for _, code, old in changed],
        count=False,
    )
    return len(changed) + withdrawn


def _message(
    pv: PolicyVersion, kind: str, code: str, old: int | None, new: int | None, sid: int
) -> notify.Message:
    """The enterprise's message: what the amount was, what it is now, what to do."""
    was, now = yuan_text(old or 0), yuan_text(new or 0)
    if kind == "offer_amount":
        subject = f"「{pv.title_zh}」可领取金额已更新为{now}元"
        body = (
            f"根据贵企业的最新数据，「{pv.title_zh}」可领取金额由{was}元"
            f"更新为{now}元，请于{pv.valid_to}前一键确认。"
        )
    else:
        subject = f"「{pv.title_zh}」申报预估金额已更新为{now}元"
        body = (
            f"根据贵企业的最新数据，「{pv.title_zh}」预填申报的预估金额由{was}元"
            f"更新为{now}元，预填内容已同步更新，请核对后于{pv.valid_to}前提交。"
        )
    return notify.Message(
        uscc=code, kind=kind, subject=subject, body=body, dedupe_key=f"{kind}:{pv.id}:{code}:{sid}"
    )
