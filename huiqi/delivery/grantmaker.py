"""Turn one delivery record into a grant, or say exactly why not.

The order of checks is fixed: one grant per policy and period whatever the version
(:mod:`huiqi.delivery.once`), exclusivity (就高不重复), the per-enterprise cap, then the
budget. All of it happens in a savepoint inside the caller's
transaction, so a refusal undoes any partial reservation, and the grant row's
unique indexes make a second grant for the same (policy, enterprise, period)
impossible even if two callers race.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.delivery import budget as budgets
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import notify, once, outranked, topup, zero
from huiqi.delivery.allocation import Candidate, choose_highest
from huiqi.delivery.audit import actor_name, record_event, savepoint
from huiqi.delivery.grantrow import new_grant
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.money import format_yuan as yuan_text


@dataclass(frozen=True)
class Outcome:
    status: str  # granted | provisional | excluded | capped | budget_exhausted | zero_amount
    grant: Grant | None
    reason: str | None = None


class _Refused(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _receivable(session: Session, pv: PolicyVersion, ent: Entitlement, requested: int) -> int:
    """What this grant would give: the requested amount under the policy's cap and, for a
    shared cap group, under what the enterprise has left of it."""
    amount = once.receivable(pv, requested)
    cap = pv.per_enterprise_cap_fen
    if pv.cap_group and cap is not None:
        left = budgets.cap_left(session, pv.cap_group, ent.uscc, ent.benefit_period, cap)
        amount = min(amount, left)
    return amount


def _exclusivity(
    session: Session, pv: PolicyVersion, ent: Entitlement, amount: int, actor: str | Actor
) -> None:
    """``amount``: what this grant would give (:func:`_receivable`), compared with what the
    group's holder gives (就高不重复 keeps what the enterprise would receive)."""
    group = pv.exclusivity_group
    if not group:
        return
    slot = budgets.take_exclusivity_slot(
        session, group, ent.uscc, ent.benefit_period, ent.id, amount
    )
    if slot is not None:
        return
    holder = session.get(ExclusivitySlot, (group, ent.uscc, ent.benefit_period))
    assert holder is not None
    holder_ent = session.get(Entitlement, holder.entitlement_id)
    holder_pv = session.get(PolicyVersion, holder_ent.policy_version_id) if holder_ent else None
    assert holder_ent is not None and holder_pv is not None
    if pv.cap_group and holder_pv.cap_group == pv.cap_group:
        # Superseding the holder would give its share of the same cap back first.
        requested = ent.computed_fen or 0
        amount = min(once.receivable(pv, requested), amount + holder.amount_fen)
    name = f"{holder_pv.policy_id} v{holder_pv.version}"
    new = Candidate(pv.policy_id, pv.version, amount)
    held = Candidate(holder_pv.policy_id, holder_pv.version, holder.amount_fen)
    if choose_highest([held, new]).chosen is not new:
        raise _Refused(
            RecordStatus.EXCLUDED,
            f"就高不重复: group '{group}' gives this enterprise {yuan_text(holder.amount_fen)} yuan"
            f" under {name}; this policy's {yuan_text(amount)} yuan is not higher",
        )
    held_grant = session.scalar(select(Grant).where(Grant.entitlement_id == holder_ent.id))
    if (
        held_grant is not None
        and held_grant.status not in (GrantStatus.GRANTED, GrantStatus.PROVISIONAL)
    ) or topup.money_sent(session, group, ent.uscc, ent.benefit_period):
        # Money of the group has left (the holder's grant, or the lower grant an unsent
        # top-up adds to): superseding would pay this policy's whole amount on top of it.
        # An officer decides; a top-up then adds only the difference (huiqi.delivery.topup).
        given = topup.given_in_group(session, group, ent.uscc, ent.benefit_period)
        held_status = held_grant.status if held_grant is not None else RecordStatus.PENDING.value
        raise _Refused(
            RecordStatus.EXCLUDED,
            f"就高不重复: group '{group}' has already given this enterprise {yuan_text(given)}"
            f" yuan (its latest grant, under {name}, is {held_status}); this policy would"
            f" give {yuan_text(amount)} yuan — flagged for an officer to decide: keep it so, or"
            " top up the difference",
        )
    reason = (
        f"就高不重复: superseded by {pv.policy_id} v{pv.version}, which gives"
        f" {yuan_text(amount)} yuan (more than {yuan_text(holder.amount_fen)} yuan)"
    )
    if held_grant is not None:
        budgets.give_back(session, holder_pv, held_grant)
        held_grant.status = GrantStatus.SUPERSEDED
        # The enterprise was told it was granted the lower amount: tell it which grant
        # replaces it, so that the two messages are not read as both to be paid.
        notify.enqueue_quietly(
            session,
            uscc=ent.uscc,
            kind="superseded",
            subject=f"「{holder_pv.title_zh}」由同组较高政策替代",
            body=(
                f"按就高不重复，贵企业改为享受「{pv.title_zh}」{yuan_text(amount)} 元；"
                f"「{holder_pv.title_zh}」的 {yuan_text(held_grant.amount_fen)} 元不再发放，"
                "不重复享受。"
            ),
            dedupe_key=f"superseded:{holder_pv.id}:{ent.uscc}:{ent.benefit_period}",
        )
    holder_ent.status = RecordStatus.SUPERSEDED
    holder_ent.status_reason = reason
    holder.entitlement_id = ent.id
    holder.amount_fen = amount
    record_event(
        session,
        actor=actor,
        kind="superseded",
        uscc=ent.uscc,
        policy_version_id=holder_pv.id,
        entity=f"entitlement:{holder_ent.id}",
        reason=reason,
    )


def _cap(session: Session, pv: PolicyVersion, ent: Entitlement, amount: int) -> int:
    cap = pv.per_enterprise_cap_fen
    if cap is None:
        return amount
    if not pv.cap_group:
        return min(amount, cap)
    granted = budgets.reserve_cap(session, pv.cap_group, ent.uscc, ent.benefit_period, cap, amount)
    if granted <= 0:
        raise _Refused(
            RecordStatus.CAPPED,
            f"cap group '{pv.cap_group}' is used up for {ent.benefit_period}"
            f" (at most {yuan_text(cap)} yuan per enterprise)",
        )
    return granted


def make_grant(
    session: Session,
    pv: PolicyVersion,
    ent: Entitlement,
    *,
    actor: str | Actor,
    known_new: bool = False,
    on_granted: Callable[[Grant], None] | None = None,
) -> Outcome:
    """Grant ``ent`` if exclusivity, cap and budget allow; update ``ent`` either way.

    ``known_new``: the caller has just checked, under the record's lock, that no grant exists.
    ``on_granted``: writes that belong with the grant (a claim's notification), made
    before the budget is reserved and undone with the grant if the budget refuses.

    The policy's budget row is reserved last: every claim of a policy updates that one
    row, and its lock is held until commit, so whatever is written after it makes every
    other claimer of the policy wait longer. The grant, the record's new status and
    ``on_granted``'s writes go first, inside the savepoint that a refusal rolls back.
    """
    if not known_new:
        existing = session.scalar(select(Grant).where(Grant.entitlement_id == ent.id))
        if existing is not None:
            return Outcome(existing.status, existing)
    requested = ent.computed_fen or 0
    try:
        with savepoint(session):
            if requested == 0:
                # An offer or application whose amount new data made 0: a grant of nothing
                # is not a grant (huiqi.delivery.zero).
                raise _Refused(RecordStatus.ZERO_AMOUNT, zero.REASON)
            # Compared at what it would give (the policy's cap, what is left of a shared
            # cap), as the bulk path's slots are (huiqi.delivery.derive).
            receivable = _receivable(session, pv, ent, requested)
            earlier = once.earlier_grants(session, pv, {ent.uscc}).get(ent.uscc)
            if earlier is not None:
                raise _Refused(RecordStatus.EXCLUDED, once.refusal(pv, earlier, receivable))
            _exclusivity(session, pv, ent, receivable, actor)
            amount = _cap(session, pv, ent, requested)
            provisional = budgets.shared_pro_rata(pv)
            grant = new_grant(pv, ent, requested, amount, provisional=provisional)
            session.add(grant)
            ent.status = RecordStatus.PENDING_ALLOCATION if provisional else RecordStatus.GRANTED
            note = f"capped from {yuan_text(requested)} yuan" if amount < requested else None
            ent.status_reason = note
            session.flush()
            if on_granted is not None:
                on_granted(grant)
            left = budgets.take_first_come(session, pv, amount)
            if left is not None:
                raise _Refused(
                    RecordStatus.BUDGET_EXHAUSTED,
                    f"the budget of {yuan_text(pv.budget_fen or 0)} yuan is spent;"
                    " grants are made in claim order"
                    if left <= 0
                    else f"the budget of {yuan_text(pv.budget_fen or 0)} yuan has"
                    f" {yuan_text(left)} yuan left, less than this grant's"
                    f" {yuan_text(amount)} yuan; grants are made in claim order",
                )
    except _Refused as refused:
        ent.status = refused.status
        ent.status_reason = refused.reason
        if "flagged" in refused.reason:
            ent.review_flag = True
            ent.review_reason = refused.reason
        record_event(
            session,
            actor=actor,
            kind=refused.status,
            uscc=ent.uscc,
            policy_version_id=pv.id,
            entity=f"entitlement:{ent.id}",
            reason=refused.reason,
        )
        return Outcome(refused.status, None, refused.reason)
    if pv.exclusivity_group and outranked.others_may_be_open(session, pv):
        outranked.exclude_outranked(session, pv, [ent.uscc], actor=actor_name(actor))
    record_event(
        session,
        actor=actor,
        kind="grant" if grant.status == GrantStatus.GRANTED else "provisional_grant",
        uscc=ent.uscc,
        policy_version_id=pv.id,
        entity=f"grant:{grant.id}",
        reason=note or reasons.ALL_MET(),
        data={"amount_fen": amount, "requested_fen": requested, "snapshot_id": ent.snapshot_id},
    )
    return Outcome(grant.status, grant, note)
