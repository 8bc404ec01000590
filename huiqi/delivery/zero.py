"""Eligible, amount 0: an enterprise that meets every criterion but whose amount formula
gives 0.00 yuan (no floor) receives nothing, so it gets no grant, offer or application
and no message saying it was granted 0.00 yuan: 免申即享 grants deliver money, and a grant
of nothing is not one.

Its delivery record still exists, with status ``zero_amount`` and a reason, so that
officers see and count these enterprises (records, dashboards, the audit log), and a
re-delivery does not decide it twice (the record's key is the same as a grant's). A
re-delivery whose data now give the enterprise an amount grants a 免申即享 record then
(``huiqi.delivery.auto.regrant_zero``); a confirm or apply version's record is offered, or
its application pre-filled, then (``huiqi.delivery.zero_offers.reoffer_zero``), which also
withdraws an open offer that new data make 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Entitlement, PolicyVersion, utcnow
from huiqi.delivery.records import DeliveryReport, insert_records, record_values
from huiqi.delivery.statuses import MatchStatus, RecordStatus
from huiqi.engine import ResultRow

REASON = reasons.ZERO_AMOUNT()  # the record's note and its audit event's reason


def now_given_an_amount(rows: Sequence[ResultRow]) -> dict[str, ResultRow]:
    """The eligible rows of ``rows`` with an amount above 0, by USCC: the enterprises whose
    ``zero_amount`` record (if any) this snapshot's data now give something."""
    return {r.uscc: r for r in rows if r.status == MatchStatus.ELIGIBLE and (r.amount_fen or 0) > 0}


def zero_records_of(pv: PolicyVersion, usccs: Iterable[str]) -> list[ColumnElement[bool]]:
    """The conditions that pick the version's ``zero_amount`` records of ``usccs`` in its
    benefit period (lock them with ``with_for_update`` before changing them)."""
    return [
        Entitlement.policy_version_id == pv.id,
        Entitlement.benefit_period == pv.benefit_period,
        Entitlement.uscc.in_(sorted(usccs)),
        Entitlement.status == RecordStatus.ZERO_AMOUNT,
    ]


def is_zero(row: ResultRow) -> bool:
    """An eligible row whose amount is exactly 0 fen."""
    return row.status == MatchStatus.ELIGIBLE and row.amount_fen == 0


def record_zero(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> None:
    """Record ``rows`` (eligible, amount 0) as ``zero_amount``, with an audit event each."""
    if not rows:
        return
    now = utcnow()
    values = []
    for r in rows:
        v = record_values(pv, r, sid, RecordStatus.ZERO_AMOUNT, now=now)
        v["status_reason"] = REASON
        values.append(v)
    ids = insert_records(s, pv, values)
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": RecordStatus.ZERO_AMOUNT.value,
                "uscc": r.uscc,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{ids[r.uscc]}",
                "reason": REASON,
                "data": {"computed_fen": 0, "snapshot_id": sid},
            }
            for r in rows
        ],
    )
    rep.new_records += len(rows)
    key = RecordStatus.ZERO_AMOUNT.value
    rep.refused[key] = rep.refused.get(key, 0) + len(rows)
