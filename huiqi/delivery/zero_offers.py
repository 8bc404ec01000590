"""Open offers and applications whose amount crosses 0 between snapshots.

A 直达快享 offer, or a 申报 application not yet submitted, whose enterprise's new data make
the policy's amount 0.00 yuan offers nothing any more: claiming it is refused (a grant of
nothing is not a grant), so telling the enterprise that it may claim 0.00 yuan would
invite a click that can only fail. Such a record becomes ``zero_amount`` instead, like an
enterprise whose first evaluation gave 0 (:mod:`huiqi.delivery.zero`), with an audit event
and a message that says plainly that nothing is offered now, why, and that nothing needs
doing: no claim link, no deadline.

The other way round, a ``zero_amount`` record of a confirm or apply version whose
enterprise a later snapshot gives an amount is offered (or its application pre-filled)
then, as a 免申即享 version re-grants it (``huiqi.delivery.auto.regrant_zero``): the 0
was what one snapshot's data gave, not a decision about the enterprise. Each change is
guarded by the record's status in the same statement, so a record is offered once per
change, whoever else delivers at the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.db.bulk import bulk_insert
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Application, Entitlement, PolicyVersion, table_of, utcnow
from huiqi.delivery.offers import prefill
from huiqi.delivery.records import DeliveryReport, message_for
from huiqi.delivery.statuses import DeliveryMode, RecordStatus
from huiqi.delivery.zero import now_given_an_amount, zero_records_of
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text

WITHDRAWN_REASON = (
    "eligible, amount 0: newer data make the policy's amount formula give 0.00 yuan;"
    " the open {what} is withdrawn and nothing is offered"
)


def withdraw_at_zero(
    s: Session,
    pv: PolicyVersion,
    open_status: RecordStatus,
    items: Sequence[tuple[int, str, int | None]],
    now_of: dict[str, ResultRow],
    sid: int,
    actor: str,
) -> int:
    """Make the open records ``items`` (id, USCC, amount before) whose new evaluation
    (``now_of``) gives 0 ``zero_amount``, with an event and a message each; return how many
    changed. A record claimed or submitted meanwhile keeps its status."""
    what = "offer" if open_status == RecordStatus.OFFERED else "application"
    reason = WITHDRAWN_REASON.format(what=what)
    now = utcnow()
    done: list[tuple[int, str, int | None]] = []
    for record_id, code, old in items:
        row = now_of[code]
        if _move(
            s,
            record_id,
            open_status,
            status=RecordStatus.ZERO_AMOUNT,
            status_reason=reason,
            computed_fen=0,
            explanation=row.ledger,
            snapshot_id=sid,
            last_snapshot_id=sid,
            updated_at=now,
        ):
            done.append((record_id, code, old))
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": RecordStatus.ZERO_AMOUNT.value,
                "uscc": code,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{record_id}",
                "reason": reasons.NOW_ZERO(snapshot=sid, was=yuan_text(old or 0), what=what),
                "data": {"from_fen": old, "to_fen": 0, "snapshot_id": sid},
            }
            for record_id, code, old in done
        ],
    )
    notify.enqueue_many(
        s,
        [_withdrawn(pv, what, code, old, now_of[code], sid) for _, code, old in done],
        count=False,
    )
    return len(done)


def _withdrawn(
    pv: PolicyVersion, what: str, code: str, old: int | None, row: ResultRow, sid: int
) -> notify.Message:
    """Nothing is offered now, and why; nothing to do (no claim link, no deadline)."""
    formula = (row.explanation.get("amount") or {}).get("formula")
    basis = f"（计算公式：{formula}）" if formula else ""
    if what == "offer":
        subject = f"「{pv.title_zh}」目前没有可领取的金额"
        withdrawn = "此前推送的领取已撤回"
    else:
        subject = f"「{pv.title_zh}」目前没有可申报的金额"
        withdrawn = "此前预填的申报已撤回"
    body = (
        f"根据贵企业的最新数据，贵企业仍符合「{pv.title_zh}」的条件，但按政策规定的金额计算方法，"
        f"可获金额由{yuan_text(old or 0)}元变为0元{basis}。因此目前没有可发放的款项，"
        f"{withdrawn}，贵企业无需任何操作。如今后数据变化使金额大于0元，我们将再次通知您。"
    )
    return notify.Message(
        uscc=code,
        kind="zero_amount",
        subject=subject,
        body=body,
        dedupe_key=f"zero_amount:{pv.id}:{code}:{sid}",
    )


def reoffer_zero(
    s: Session,
    pv: PolicyVersion,
    rows: Sequence[ResultRow],
    sid: int,
    actor: str,
    rep: DeliveryReport,
) -> int:
    """Offer (confirm) or pre-fill (apply) the version's ``zero_amount`` records whose
    enterprise this snapshot's data (``rows``) now give an amount; return how many. The
    record takes the new evaluation (amount, explanation, snapshot), so that a claim's
    grant is reproduced from it. In the caller's transaction."""
    if pv.delivery == DeliveryMode.CONFIRM:
        status, kind = RecordStatus.OFFERED, "offer"
    elif pv.delivery == DeliveryMode.APPLY:
        status, kind = RecordStatus.APPLICATION_OPEN, "application"
    else:
        return 0
    now_of = now_given_an_amount(rows)
    if not now_of:
        return 0
    found = s.execute(
        select(Entitlement.id, Entitlement.uscc)
        .where(*zero_records_of(pv, now_of))
        .with_for_update()
    ).all()
    now = utcnow()
    done: list[tuple[int, str]] = []
    for record_id, code in found:
        row = now_of[code]
        if _move(
            s,
            record_id,
            RecordStatus.ZERO_AMOUNT,
            status=status,
            status_reason=None,
            match_status=row.status,
            computed_fen=row.amount_fen,
            explanation=row.ledger,
            snapshot_id=sid,
            last_snapshot_id=sid,
            updated_at=now,
        ):
            done.append((record_id, code))
    if not done:
        return 0
    if status == RecordStatus.APPLICATION_OPEN:
        _prefill(s, [(i, now_of[c]) for i, c in done])
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
                "reason": reasons.NO_LONGER_ZERO(
                    snapshot=sid, amount=yuan_text(now_of[code].amount_fen or 0), mode=pv.delivery
                ),
                "data": {"computed_fen": now_of[code].amount_fen, "snapshot_id": sid},
            }
            for record_id, code in done
        ],
    )
    messages = []
    for _, code in done:
        subject, body = message_for(pv, now_of[code], kind)
        # A snapshot's change is told once; an earlier offer's message has its own key.
        key = f"{kind}:{pv.id}:{code}:{pv.benefit_period}:{sid}"
        messages.append(
            notify.Message(uscc=code, kind=kind, subject=subject, body=body, dedupe_key=key)
        )
    notify.enqueue_many(s, messages, count=False)
    if status == RecordStatus.OFFERED:
        rep.offered += len(done)
    else:
        rep.applications += len(done)
    return len(done)


def _prefill(s: Session, made: list[tuple[int, ResultRow]]) -> None:
    """Each record's pre-filled form from its new evaluation: the form an earlier open
    application had is replaced (it was never submitted), else a new one is made."""
    ids = [i for i, _ in made]
    have = set(
        s.scalars(select(Application.entitlement_id).where(Application.entitlement_id.in_(ids)))
    )
    for record_id, row in made:
        if record_id in have:
            s.execute(
                update(Application)
                .where(Application.entitlement_id == record_id)
                .values(prefilled=prefill(row))
                .execution_options(synchronize_session=False)
            )
    fresh = [{"entitlement_id": i, "prefilled": prefill(r)} for i, r in made if i not in have]
    if fresh:
        bulk_insert(s, table_of(Application), fresh)


def _move(s: Session, record_id: int, while_in: RecordStatus, **values: object) -> bool:
    """Set ``values`` on the record if it is still in ``while_in`` (a claim or another
    delivery may have moved it first); whether it was."""
    moved = s.execute(
        update(Entitlement)
        .where(Entitlement.id == record_id, Entitlement.status == while_in)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(Any, moved).rowcount)
