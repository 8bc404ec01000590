"""One grant per policy, enterprise and benefit period, whatever the version.

A new version of a policy (a corrected rate, a wider scope) is matched and delivered like
any version, but an enterprise that another version of the same policy has already
granted for the period is not granted, offered or invited again: its record under the new
version is ``excluded`` with the earlier grant named. Where the new version would give a
different amount, the record is flagged for an officer, who decides whether a correction
is due; nothing is paid twice automatically. The grants table's partial unique index
(policy, enterprise, period, for grants not superseded) enforces the rule in the database;
this module is what tells the enterprise and the officer why.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session

from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Grant, PolicyVersion, utcnow
from huiqi.delivery.records import DeliveryReport, insert_records, record_values
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.delivery.tables import LIVE_GRANT
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text

# Sent for payment, paid, or owed after a failed payment: money that huiqi cannot take
# back, so a newer version may only add to it (huiqi.delivery.version_fix).
SENT = (GrantStatus.IN_BATCH, GrantStatus.PAID, GrantStatus.PAYMENT_FAILED)


@dataclass(frozen=True)
class EarlierGrant:
    """The live grants of the same policy and period under other versions: the base grant
    and the reviewer's corrections on top of it (huiqi.delivery.version_fix), as one."""

    grant_id: int  # the latest of them (a correction names it as the grant it corrects)
    version: int  # the version of the latest
    amount_fen: int  # what they give in all
    status: str  # the latest's status
    sent: bool = False  # whether any of them has been sent for payment (or paid)


def other_versions_exist(s: Session, pv: PolicyVersion) -> bool:
    """Whether another version of ``pv``'s policy has been published (most policies have
    one version, and their deliveries skip the lookups below)."""
    return (
        s.scalar(
            select(PolicyVersion.id)
            .where(PolicyVersion.policy_id == pv.policy_id, PolicyVersion.id != pv.id)
            .limit(1)
        )
        is not None
    )


def earlier_grants(s: Session, pv: PolicyVersion, usccs: set[str]) -> dict[str, EarlierGrant]:
    """The live grants of ``pv``'s policy and period under other versions, for these
    enterprises (looked up by the range of their USCCs on the policy's unique index, then
    the corrections on top of each, which are rare)."""
    if not usccs:
        return {}
    columns = (Grant.id, Grant.uscc, Grant.amount_fen, Grant.status, PolicyVersion.version)
    rows = s.execute(
        select(*columns)
        .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
        .where(
            and_(
                Grant.policy_id == pv.policy_id,
                Grant.benefit_period == pv.benefit_period,
                Grant.uscc.between(min(usccs), max(usccs)),
                text(f"grants.{LIVE_GRANT}"),
                Grant.corrects_grant_id.is_(None),
                Grant.policy_version_id != pv.id,
            )
        )
    ).all()
    found = {
        u: EarlierGrant(int(i), int(v), int(a), st, st in SENT)
        for i, u, a, st, v in rows
        if u in usccs
    }
    tips = {e.grant_id: u for u, e in found.items()}
    while tips:  # each grant is corrected at most once while live (uq_grants_corrected_once)
        on_top = s.execute(
            select(*columns, Grant.corrects_grant_id)
            .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
            .where(Grant.corrects_grant_id.in_(list(tips)), text(f"grants.{LIVE_GRANT}"))
        ).all()
        following: dict[int, str] = {}
        for i, _, a, st, v, below in on_top:
            assert below is not None  # the query's own term
            u = tips[int(below)]
            was = found[u]
            found[u] = EarlierGrant(
                int(i), int(v), was.amount_fen + int(a), st, was.sent or st in SENT
            )
            following[int(i)] = u
        tips = following
    # A chain whose latest grant is ``pv``'s own: ``pv`` has granted the enterprise already.
    return {u: e for u, e in found.items() if e.version != pv.version}


def refusal(pv: PolicyVersion, earlier: EarlierGrant, amount_fen: int | None) -> str:
    """Why ``pv`` grants nothing to an enterprise ``earlier`` covers; the text says
    "flagged" when the amounts differ (the record is then flagged for an officer)."""
    said = (
        f"already granted {yuan_text(earlier.amount_fen)} yuan for {pv.benefit_period}"
        f" under {pv.policy_id} v{earlier.version} ({earlier.status}); one grant per policy"
        " and period, whatever the version"
    )
    if amount_fen is not None and amount_fen != earlier.amount_fen:
        said += (
            f" — v{pv.version} would give {yuan_text(amount_fen)} yuan:"
            " flagged for an officer to decide whether a correction is due"
        )
    return said


def receivable(pv: PolicyVersion, amount_fen: int | None) -> int:
    """What ``pv`` would give: the computed amount under its per-enterprise cap."""
    cap = pv.per_enterprise_cap_fen
    return (amount_fen or 0) if cap is None else min(amount_fen or 0, cap)


def record_covered(
    s: Session,
    pv: PolicyVersion,
    rows: list[ResultRow],
    earlier: dict[str, EarlierGrant],
    sid: int,
    actor: str,
    rep: DeliveryReport,
) -> None:
    """Record under ``pv`` the enterprises another version has already granted for the
    period: ``excluded``, the earlier grant named, flagged where the amounts differ (and
    counted in the report's flagged); one audit event each, no message (nothing changes
    for the enterprise)."""
    now = utcnow()
    values = []
    for r in rows:
        reason = refusal(pv, earlier[r.uscc], receivable(pv, r.amount_fen))
        v = record_values(pv, r, sid, RecordStatus.EXCLUDED, now=now)
        flagged = "flagged" in reason
        # Every row names the same columns (one bulk insert), flagged or not.
        v.update(
            status_reason=reason, review_flag=flagged, review_reason=reason if flagged else None
        )
        values.append(v)
    ids = insert_records(s, pv, values)
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": RecordStatus.EXCLUDED.value,
                "uscc": v["uscc"],
                "policy_version_id": pv.id,
                "entity": f"entitlement:{ids[v['uscc']]}",
                "reason": v["status_reason"],
                "data": {"earlier_grant_id": earlier[v["uscc"]].grant_id, "snapshot_id": sid},
            }
            for v in values
        ],
    )
    rep.new_records += len(values)
    rep.flagged += sum(1 for v in values if v["review_flag"])
    key = RecordStatus.EXCLUDED.value
    rep.refused[key] = rep.refused.get(key, 0) + len(values)
