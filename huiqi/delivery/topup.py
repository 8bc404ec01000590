"""就高不重复 after the money has left: paying the difference (补差).

An enterprise that a lower policy of an exclusivity group has already paid (or sent for
payment) and that then qualifies for a higher one is not granted the higher amount on top:
its record under the higher policy is ``excluded`` and flagged for a policy reviewer
(:mod:`huiqi.delivery.grantmaker`). The reviewer may then decide *top-up*: the higher
policy grants the difference between what it gives and what the group's grant paid, so
that the enterprise receives the higher amount once, never both. The difference is a
grant like any other under the higher policy (its budget, its cap group, one grant per
policy and period), and the group's slot moves to the higher policy at the higher amount,
so that a third policy of the group compares with what the enterprise now receives.

Nothing here is automatic: whether the difference is due (a policy's own wording, a
payment still in doubt) is the reviewer's decision, recorded with their reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.delivery import budget as budgets
from huiqi.delivery import notify, once, outranked
from huiqi.delivery.audit import actor_name, record_event
from huiqi.delivery.grantrow import new_grant
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.statuses import (
    NOT_ALLOCATED,
    GrantStatus,
    MatchStatus,
    RecordStatus,
    VersionStatus,
)
from huiqi.errors import StateConflict
from huiqi.money import format_yuan as yuan_text

# The group's grant has left huiqi (or failed to be paid, and is owed: ``disburse repay``):
# only then is a difference paid instead of a supersession.
SENT = once.SENT


class TopUpError(StateConflict):
    """The difference cannot be granted (nothing paid below it, no money left...): a
    refused decision, exit 4 on the command line."""

    exit_code = 4


@dataclass(frozen=True)
class TopUp:
    """What a top-up of one record would grant."""

    due_fen: int  # what the higher policy gives the enterprise in all
    paid_fen: int  # what the group's grants gave so far (the lower policy's, earlier top-ups)
    difference_fen: int
    paid_grant_id: int
    paid_under: str  # "<policy id> v<version>"


def top_up_due(s: Session, ent: Entitlement, pv: PolicyVersion) -> TopUp | None:
    """The difference ``ent`` could be granted, or None where a top-up does not apply: the
    record is not one that 就高不重复 excluded behind a grant already sent for payment, or
    its policy gives no more than that grant."""
    group = pv.exclusivity_group
    if not group or ent.status != RecordStatus.EXCLUDED:
        return None
    if ent.match_status == MatchStatus.NOT_ELIGIBLE:
        # The newest data no longer make it eligible (huiqi.delivery.covered_refresh).
        return None
    if s.scalar(select(Grant.id).where(Grant.entitlement_id == ent.id)) is not None:
        return None
    slot = s.get(ExclusivitySlot, (group, ent.uscc, ent.benefit_period))
    if slot is None or slot.entitlement_id == ent.id:
        return None
    held = s.scalar(select(Grant).where(Grant.entitlement_id == slot.entitlement_id))
    if held is None or not money_sent(s, group, ent.uscc, ent.benefit_period):
        return None
    if held.policy_id == pv.policy_id:
        # An earlier version of the same policy: a version correction's to decide (one
        # grant per policy and period; huiqi.delivery.version_fix), never a top-up's.
        return None
    due = once.receivable(pv, ent.computed_fen)
    given = given_in_group(s, group, ent.uscc, ent.benefit_period)
    if due <= given:
        return None
    held_pv = s.get(PolicyVersion, held.policy_version_id)
    assert held_pv is not None
    return TopUp(due, given, due - given, held.id, f"{held_pv.policy_id} v{held_pv.version}")


def _group_grants(group: str, uscc: str, period: str) -> Select[int, str]:
    """The enterprise's grants under the group's policies for the period that pay or will
    pay: not superseded under 就高不重复, and not held back by a reviewer's withdrawal
    (a withdrawn record's grant never leaves for payment)."""
    return (
        select(Grant.amount_fen, Grant.status)
        .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
        .join(Entitlement, Entitlement.id == Grant.entitlement_id)
        .where(
            PolicyVersion.exclusivity_group == group,
            Grant.uscc == uscc,
            Grant.benefit_period == period,
            Grant.status != GrantStatus.SUPERSEDED,
            Entitlement.status != RecordStatus.WITHDRAWN,
        )
    )


def given_in_group(
    s: Session, group: str, uscc: str, period: str, *, besides: str | None = None
) -> int:
    """What the group's policies have granted the enterprise for the period, in all: the
    holder's grant, and when the holder is itself a top-up, the grants it topped up;
    ``besides``: leaving out that policy's grants."""
    stmt = _group_grants(group, uscc, period)
    if besides is not None:
        stmt = stmt.where(Grant.policy_id != besides)
    return sum(int(amount) for amount, _ in s.execute(stmt))


def money_sent(s: Session, group: str, uscc: str, period: str) -> bool:
    """Whether any of those grants has left huiqi (or failed to be paid, and is owed): then
    a higher policy of the group may only add the difference, never supersede them."""
    return any(status in SENT for _, status in s.execute(_group_grants(group, uscc, period)))


def reserve_difference(
    s: Session, pv: PolicyVersion, ent: Entitlement, difference: int
) -> tuple[int, bool]:
    """Reserve a difference granted on top of money already sent (a top-up, or a version
    correction: :mod:`huiqi.delivery.version_fix`) under ``pv``'s cap group and budget;
    return what is granted and whether the grant is provisional (a budget shared pro rata).

    Raises:
        TopUpError: the cap group is used up, the pro-rata budget was allocated already, or
            the first-come budget has less left than the difference.
    """
    amount = difference
    if pv.cap_group and pv.per_enterprise_cap_fen is not None:
        amount = budgets.reserve_cap(
            s, pv.cap_group, ent.uscc, ent.benefit_period, pv.per_enterprise_cap_fen, amount
        )
        if amount <= 0:
            raise TopUpError(
                f"cap group '{pv.cap_group}' is used up for {ent.benefit_period}; no difference"
                " can be granted"
            )
    provisional = budgets.shared_pro_rata(pv)
    if provisional and s.scalar(
        select(Grant.id)
        .where(Grant.policy_version_id == pv.id, Grant.status.not_in(NOT_ALLOCATED))
        .limit(1)
    ):
        # A provisional grant made after the allocation would never be allocated.
        raise TopUpError(
            f"{pv.policy_id} v{pv.version} shares its budget pro rata and was allocated"
            " already: a difference granted now would never be paid; keep the record as it"
            " is, or publish a version with a budget for it and top it up there"
        )
    left = budgets.take_first_come(s, pv, amount)
    if left is not None:
        raise TopUpError(
            f"the budget of {yuan_text(pv.budget_fen or 0)} yuan has {yuan_text(left)}"
            f" yuan left, less than the difference of {yuan_text(amount)} yuan; keep the record"
            " as it is, or publish a version with a larger budget and top it up there"
        )
    return amount, provisional


def grant_top_up(
    s: Session, ent: Entitlement, pv: PolicyVersion, *, actor: Actor, reason: str
) -> tuple[Grant, str]:
    """Grant ``ent`` the difference (in the caller's transaction, ``ent`` locked); return the
    grant and the record's new status reason.

    Raises:
        TopUpError: a top-up does not apply, or the cap group or budget cannot take it.
    """
    group = pv.exclusivity_group
    # The records holding the group's grants first (records before the slot: the ledger's
    # lock order), locked: a delivery flagging one of them is waited for (qa13).
    questioned = _questioned(s, group, ent) if group else None
    # The slot is locked before it is read: a claim under a third policy of the group
    # compares with it.
    slot = (
        s.execute(
            select(ExclusivitySlot)
            .where(
                ExclusivitySlot.group_name == group,
                ExclusivitySlot.uscc == ent.uscc,
                ExclusivitySlot.benefit_period == ent.benefit_period,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if group
        else None
    )
    top = top_up_due(s, ent, pv)
    if top is None or slot is None:
        raise TopUpError(
            f"record {ent.id} has no difference to pay: a top-up is for a record that"
            " 就高不重复 excluded because a lower policy of its group was already sent for"
            " payment; keep or withdraw it instead"
        )
    replaced = replaced_by(s, pv, ent)
    if replaced is not None:
        raise TopUpError(replaced)
    if questioned is not None:
        # Flagged as no longer eligible (flag_lost, earlier_flags): a top-up added to a
        # grant the newest data question, and paid the enterprise on top of it (qa11).
        raise TopUpError(
            f"record {ent.id}: the group's grant it would add to (record {questioned}) is"
            " flagged for review; decide that flag first: keep it, then top up this record,"
            " or withdraw it"
        )
    amount, provisional = reserve_difference(s, pv, ent, top.difference_fen)
    grant = new_grant(pv, ent, top.difference_fen, amount, provisional=provisional)
    s.add(grant)
    note = (
        f"就高不重复 top-up: {pv.policy_id} v{pv.version} gives {yuan_text(top.due_fen)} yuan;"
        f" the group has already given {yuan_text(top.paid_fen)} yuan (the latest grant under"
        f" {top.paid_under}), so the difference of {yuan_text(amount)} yuan is granted"
    )
    ent.status = RecordStatus.PENDING_ALLOCATION if provisional else RecordStatus.GRANTED
    ent.status_reason = note
    slot.entitlement_id, slot.amount_fen = ent.id, top.paid_fen + amount
    s.flush()
    record_event(
        s,
        actor=actor,
        kind="grant" if grant.status == GrantStatus.GRANTED else "provisional_grant",
        uscc=ent.uscc,
        policy_version_id=pv.id,
        entity=f"grant:{grant.id}",
        reason=note,
        data={
            "amount_fen": amount,
            "requested_fen": top.difference_fen,
            "snapshot_id": ent.snapshot_id,
            "top_up_of_grant": top.paid_grant_id,
            "due_fen": top.due_fen,
            "given_fen": top.paid_fen,
            "review_reason": reason,
        },
    )
    if outranked.others_may_be_open(s, pv):
        outranked.exclude_outranked(s, pv, [ent.uscc], actor=actor_name(actor))
    shown = yuan_text(amount)
    notify.enqueue(
        s,
        uscc=ent.uscc,
        kind="granted",
        subject=f"「{pv.title_zh}」经复核补发差额 {shown} 元",
        body=(
            f"同组政策就高不重复：「{pv.title_zh}」金额 {yuan_text(top.due_fen)} 元，"
            f"贵企业已获 {yuan_text(top.paid_fen)} 元，经复核补发差额 {shown} 元"
            + ("，按比例分配后确定。" if provisional else "，将按批次拨付。")
        ),
        dedupe_key=f"top_up:{pv.id}:{ent.uscc}:{ent.benefit_period}",
    )
    return grant, note


def replaced_by(s: Session, pv: PolicyVersion, ent: Entitlement) -> str | None:
    """Why ``ent`` is not decided (topped up, corrected) under ``pv``: a newer version of
    its policy is published. Its amount is the data's before (only the newest version is
    delivered and judged again), and the newer version asks its own question once
    delivered (qa13: v2 published, not delivered; v1's top-up paid the old 4,000)."""
    newer = s.scalar(
        select(PolicyVersion.version)
        .where(
            PolicyVersion.policy_id == pv.policy_id,
            PolicyVersion.status == VersionStatus.PUBLISHED,
            PolicyVersion.version > pv.version,
        )
        .limit(1)
    )
    if newer is None:
        return None
    return (
        f"record {ent.id}: {pv.policy_id} v{newer} is published and delivers instead of"
        " this record's version; deliver it, then decide its own record"
    )


def _questioned(s: Session, group: str, ent: Entitlement) -> int | None:
    """The first record holding one of the group's grants to the enterprise that is flagged
    for review (its enterprise no longer eligible on newer data), if any. All of them are
    locked and read again, flagged or not: a delivery flagging one meanwhile (``flag_lost``
    holds its lock until it commits) is waited for, not read as it was (qa13)."""
    under = _group_grants(group, ent.uscc, ent.benefit_period).with_only_columns(
        Grant.entitlement_id
    )
    rows = s.execute(
        select(Entitlement.id, Entitlement.review_flag)
        .where(Entitlement.id.in_(under), Entitlement.id != ent.id)
        .order_by(Entitlement.id)
        .with_for_update()
    ).all()
    return next((int(i) for i, flag in rows if flag), None)


def hand_back_slot(s: Session, group: str, ent: Entitlement, withdrawn: Grant) -> None:
    """``withdrawn`` (``ent``'s grant) is being withdrawn: the group's slot, where ``ent``
    holds it, goes to the latest of the enterprise's grants in the group that stay live, at
    what they give in all, and is freed only when none is left.

    A top-up or a version correction moved the slot to the difference's record; the grant
    under it was sent for payment and stays live, so freeing the slot would let a lower
    policy of the group grant in full on top of the money paid (QA, session 33)."""
    slot = s.execute(
        select(ExclusivitySlot)
        .where(
            ExclusivitySlot.group_name == group,
            ExclusivitySlot.uscc == ent.uscc,
            ExclusivitySlot.benefit_period == ent.benefit_period,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if slot is None or slot.entitlement_id != ent.id:
        return
    stay = s.execute(
        _group_grants(group, ent.uscc, ent.benefit_period)
        .add_columns(Grant.entitlement_id)
        .where(
            Grant.id != withdrawn.id,
            Grant.status != GrantStatus.WITHDRAWN,
            Grant.entitlement_id != ent.id,
        )
        .order_by(Grant.id)
    ).all()
    if not stay:
        s.delete(slot)
        s.flush()
        return
    slot.entitlement_id = int(stay[-1][2])
    slot.amount_fen = sum(int(amount) for amount, _, _ in stay)
