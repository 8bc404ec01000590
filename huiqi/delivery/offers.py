"""直达快享 offers and 申报 pre-filled applications: records an enterprise acts on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huiqi.db.bulk import bulk_insert
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import (
    Application,
    Entitlement,
    PolicyVersion,
    table_of,
    utcnow,
)
from huiqi.delivery.records import DeliveryReport, insert_records, message_for, record_values
from huiqi.delivery.statuses import DeliveryMode, RecordStatus
from huiqi.engine import ResultRow


def offer_or_prefill(
    s: Session, pv: PolicyVersion, rows: list[ResultRow], sid: int, actor: str, rep: DeliveryReport
) -> None:
    confirm = pv.delivery == DeliveryMode.CONFIRM
    status = RecordStatus.OFFERED if confirm else RecordStatus.APPLICATION_OPEN
    replace_older_open(s, pv, [r.uscc for r in rows], actor)
    now = utcnow()
    values = [record_values(pv, r, sid, status, now=now) for r in rows]
    ids = insert_records(s, pv, values)
    if pv.delivery == DeliveryMode.APPLY:
        bulk_insert(
            s,
            table_of(Application),
            [{"entitlement_id": ids[r.uscc], "prefilled": prefill(r)} for r in rows],
        )
    kind = "offer" if confirm else "application"
    now = utcnow()
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": kind,
                "uscc": r.uscc,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{ids[r.uscc]}",
                "reason": reasons.OFFERED(status=r.status, mode=pv.delivery),
                "data": {"computed_fen": r.amount_fen, "snapshot_id": sid},
            }
            for r in rows
        ],
    )
    messages = []
    for r in rows:
        subject, body = message_for(pv, r, kind)
        messages.append(
            notify.Message(
                uscc=r.uscc,
                kind=kind,
                subject=subject,
                body=body,
                dedupe_key=f"{kind}:{pv.id}:{r.uscc}:{pv.benefit_period}",
            )
        )
    notify.enqueue_many(s, messages, count=False)
    rep.new_records += len(rows)
    if confirm:
        rep.offered += len(rows)
    else:
        rep.applications += len(rows)


def replace_older_open(s: Session, pv: PolicyVersion, usccs: list[str], actor: str) -> int:
    """Supersede the offers and unsubmitted applications that earlier versions of this
    policy left open, for the same period, to the enterprises this version now offers to
    (``usccs``, one chunk): one policy gives one grant per period whatever the version, so
    an enterprise shown both would see the policy twice and might confirm the older,
    smaller one, which then refuses the newer. Submitted applications stay with their
    reviewers. One event each; returns how many."""
    if not usccs or pv.version <= 1:
        return 0
    older = select(PolicyVersion.id).where(
        PolicyVersion.policy_id == pv.policy_id, PolicyVersion.version < pv.version
    )
    reason = f"replaced by {pv.policy_id} v{pv.version}, which is offered instead"
    rows = s.execute(
        update(Entitlement)
        .where(
            Entitlement.policy_version_id.in_(older.scalar_subquery()),
            Entitlement.benefit_period == pv.benefit_period,
            Entitlement.status.in_((RecordStatus.OFFERED, RecordStatus.APPLICATION_OPEN)),
            Entitlement.uscc.in_(usccs),
        )
        .values(status=RecordStatus.SUPERSEDED, status_reason=reason, updated_at=utcnow())
        .returning(Entitlement.id, Entitlement.uscc, Entitlement.policy_version_id)
        .execution_options(synchronize_session=False)
    ).all()
    if rows:
        now = utcnow()
        record_events(
            s,
            [
                {
                    "at": now,
                    "actor": actor,
                    "kind": "superseded",
                    "uscc": u,
                    "policy_version_id": old,
                    "entity": f"entitlement:{i}",
                    "reason": reason,
                    "data": None,
                }
                for i, u, old in rows
            ],
        )
    return len(rows)


def prefill(row: ResultRow) -> dict[str, Any]:
    """An application form filled from data government already holds (never asked again)."""
    fields: dict[str, Any] = {}
    for c in row.explanation["criteria"]:
        fields.update(c["values"])
    fields.update(row.explanation["amount"]["values"])
    return {
        "uscc": row.uscc,
        "name": row.name,
        "fields": fields,
        "criteria": [
            {"id": c["id"], "label": c["label"], "state": c["state"]}
            for c in row.explanation["criteria"]
        ],
        "to_attest": [c["id"] for c in row.explanation["criteria"] if c["state"] == "to_confirm"],
        "estimated_fen": row.amount_fen,
    }
