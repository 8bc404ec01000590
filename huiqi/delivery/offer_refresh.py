"""An open offer shows the amount its enterprise's current data gives.

A 直达快享 offer is made on one snapshot; until the enterprise claims it, newer data can
change what the policy gives (more insured staff, a new year's revenue). When a
re-delivery finds the enterprise still eligible with another amount, its unclaimed offer
takes the new amount with the evaluation it came from: ``computed_fen``, the explanation
and the snapshot move together, so the grant a claim makes is reproduced from that
snapshot like any other (``huiqi audit recompute``). Each change is an audit event
(``offer_amount``, from and to) and a message to the enterprise. A claimed offer has its
grant and never changes; nor does any other record.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.delivery import notify
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Entitlement, PolicyVersion, utcnow
from huiqi.delivery.statuses import DeliveryMode, MatchStatus, RecordStatus
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text


def refresh_offers(
    s: Session, pv: PolicyVersion, rows: Sequence[ResultRow], sid: int, actor: str
) -> int:
    """Give the version's open offers among ``rows`` (this snapshot's eligible results)
    their current amount; return how many changed. In the caller's transaction."""
    if pv.delivery != DeliveryMode.CONFIRM:
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
            Entitlement.status == RecordStatus.OFFERED,
            Entitlement.snapshot_id != sid,
        )
        .with_for_update()
    ).all()
    changed = [(i, u, old) for i, u, old in offers if old != now_of[u].amount_fen]
    now = utcnow()
    for record_id, code, _ in changed:
        row = now_of[code]
        # Still 'offered' in the same statement: a claim that got there first keeps its amount.
        s.execute(
            update(Entitlement)
            .where(Entitlement.id == record_id, Entitlement.status == RecordStatus.OFFERED)
            .values(
                computed_fen=row.amount_fen,
                explanation=row.ledger,
                snapshot_id=sid,
                last_snapshot_id=sid,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": "offer_amount",
                "uscc": code,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{record_id}",
                "reason": f"the data of snapshot {sid} give {yuan_text(now_of[code].amount_fen or 0)}"
                f" yuan instead of {yuan_text(old or 0)} yuan; the offer is not yet claimed",
                "data": {"from_fen": old, "to_fen": now_of[code].amount_fen, "snapshot_id": sid},
            }
            for record_id, code, old in changed
        ],
    )
    notify.enqueue_many(
        s,
        [
            notify.Message(
                uscc=code,
                kind="offer_amount",
                subject=f"「{pv.title_zh}」可领取金额已更新为{yuan_text(now_of[code].amount_fen or 0)}元",
                body=f"根据贵企业的最新数据，「{pv.title_zh}」可领取金额由{yuan_text(old or 0)}元"
                f"更新为{yuan_text(now_of[code].amount_fen or 0)}元，请于{pv.valid_to}前一键确认。",
                dedupe_key=f"offer_amount:{pv.id}:{code}:{sid}",
            )
            for _, code, old in changed
        ],
        count=False,
    )
    return len(changed)
