"""Open offers that a higher grant in their exclusivity group has outranked (就高不重复).

An offer (直达快享) or a pre-filled application (申报) of one policy stays open while the
enterprise decides; a grant of another policy of the same exclusivity group may meanwhile
take the group's slot for the same period. If that grant gives at least what the open
record would (its amount under its own cap), claiming the record could only be refused:
it is marked ``excluded`` now, saying which grant outranks it, so the enterprise is never
shown an offer it cannot take. A record that would give more stays open: claiming it
supersedes the lower grant, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from huiqi.delivery import notify
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Entitlement, ExclusivitySlot, PolicyVersion, utcnow
from huiqi.delivery.once import receivable
from huiqi.delivery.statuses import DeliveryMode, RecordStatus
from huiqi.money import format_yuan as yuan_text

OPEN = (RecordStatus.OFFERED, RecordStatus.APPLICATION_OPEN)
CHUNK = 500


def others_may_be_open(session: Session, pv: PolicyVersion) -> bool:
    """Whether another policy of ``pv``'s group delivers offers or applications (else no
    record of the group can be open, and nothing need be looked at)."""
    if not pv.exclusivity_group:
        return False
    found = session.scalar(
        select(PolicyVersion.id)
        .where(
            PolicyVersion.exclusivity_group == pv.exclusivity_group,
            PolicyVersion.policy_id != pv.policy_id,
            PolicyVersion.delivery != DeliveryMode.AUTO,
        )
        .limit(1)
    )
    return found is not None


def exclude_outranked(
    session: Session, pv: PolicyVersion, usccs: Sequence[str], *, actor: str
) -> int:
    """Mark ``excluded`` the open records of ``pv``'s group (other policies) whose
    enterprise among ``usccs`` now holds the group's slot with at least their amount;
    return how many."""
    group = pv.exclusivity_group
    if not group or not usccs:
        return 0
    holder = aliased(Entitlement)
    holder_pv = aliased(PolicyVersion)
    done = 0
    for start in range(0, len(usccs), CHUNK):
        part = list(usccs[start : start + CHUNK])
        rows = session.execute(
            select(
                Entitlement.id,
                Entitlement.uscc,
                Entitlement.computed_fen,
                PolicyVersion,
                ExclusivitySlot.amount_fen,
                holder_pv.policy_id,
                holder_pv.version,
                holder_pv.title_zh,
            )
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .join(
                ExclusivitySlot,
                (ExclusivitySlot.group_name == group)
                & (ExclusivitySlot.uscc == Entitlement.uscc)
                & (ExclusivitySlot.benefit_period == Entitlement.benefit_period),
            )
            .join(holder, holder.id == ExclusivitySlot.entitlement_id)
            .join(holder_pv, holder_pv.id == holder.policy_version_id)
            .where(
                Entitlement.uscc.in_(part),
                Entitlement.status.in_(OPEN),
                PolicyVersion.exclusivity_group == group,
                ExclusivitySlot.entitlement_id != Entitlement.id,
                holder_pv.policy_id != PolicyVersion.policy_id,
            )
        ).all()
        now = utcnow()
        events = []
        told: list[notify.Message] = []
        for rid, uscc, computed, its_pv, held, by_policy, by_version, by_title in rows:
            would = receivable(its_pv, computed)
            if would > held:
                continue  # claiming it supersedes the lower grant
            reason = (
                f"就高不重复: group '{group}' gives this enterprise {yuan_text(held)} yuan"
                f" under {by_policy} v{by_version}; this policy's {yuan_text(would)} yuan is"
                " not higher"
            )
            changed = session.execute(
                update(Entitlement)
                .where(Entitlement.id == rid, Entitlement.status.in_(OPEN))
                .values(status=RecordStatus.EXCLUDED, status_reason=reason, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount:  # type: ignore[attr-defined]
                done += 1
                events.append(
                    {
                        "actor": actor,
                        "kind": "outranked",
                        "uscc": uscc,
                        "policy_version_id": its_pv.id,
                        "entity": f"entitlement:{rid}",
                        "reason": reason,
                    }
                )
                # The enterprise was offered it (or invited to apply): say why it is gone.
                told.append(
                    notify.Message(
                        uscc=uscc,
                        kind="outranked",
                        subject=f"「{its_pv.title_zh}」不再重复享受",
                        body=(
                            f"贵企业已享受同组政策「{by_title}」{yuan_text(held)} 元。按就高不重复，"
                            f"「{its_pv.title_zh}」（{yuan_text(would)} 元）不再发放，原领取或申报入口已关闭。"
                        ),
                        dedupe_key=f"outranked:{its_pv.id}:{uscc}:{its_pv.benefit_period}",
                    )
                )
        record_events(session, events)
        notify.enqueue_many(session, told, count=False)
    return done
