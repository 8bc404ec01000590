"""A newer version's amount, delivered on a reviewer's decision (版本更正).

Version 2 of a policy that gives an enterprise another amount than version 1 granted it
for the period grants nothing by itself: one grant per policy and period, whatever the
version (:mod:`huiqi.delivery.once`), and its record is ``excluded`` and flagged. A policy
reviewer may then decide *correct*, so that the enterprise receives version 2's amount
once, never both:

- the earlier grant was not sent for payment (granted or provisional, in no batch): it is
  superseded (its budget commitment, cap-group use and exclusivity slot given back, as
  就高不重复 supersedes) and version 2 grants its whole amount, higher or lower, under its
  own budget and caps;
- the money has left (in a batch, paid, or owed after a failed payment) and version 2
  gives more: version 2 grants the difference, a grant that names the grant it corrects
  (``grants.corrects_grant_id``: at most one live correction per grant, migration 0028);
- the money has left and version 2 gives less: refused. huiqi takes no money back; the
  department recovers it, and the reviewer keeps the record.

While a record holding one of the earlier grants is flagged (its enterprise no longer
eligible on newer data: ``earlier_flags``), the correction is refused until that flag is
decided.

A refusal (a budget that cannot cover the amount, a cap group used up) changes nothing:
the caller's transaction is rolled back with it. Nothing here is automatic.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.delivery import budget as budgets
from huiqi.delivery import grantmaker, notify, once, topup
from huiqi.delivery.audit import record_event
from huiqi.delivery.disburse import live_item
from huiqi.delivery.grantrow import new_grant
from huiqi.delivery.models import BatchItem, Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.delivery.tables import LIVE_GRANT
from huiqi.errors import StateConflict
from huiqi.money import format_yuan as yuan_text


class CorrectionError(StateConflict):
    """The correction cannot be made (nothing to correct, money to take back, no budget):
    a refused decision, exit 4 on the command line."""

    exit_code = 4


@dataclass(frozen=True)
class Correction:
    """What correcting one record would do."""

    due_fen: int  # what the newer version gives the enterprise in all
    given_fen: int  # what the earlier versions' live grants give
    sent: bool  # whether any of them has left for payment
    earlier_grant_id: int  # the latest of them
    earlier: str  # "<policy id> v<version>" of the latest

    @property
    def refused(self) -> bool:
        """Less than what was already sent: huiqi cannot take money back."""
        return self.sent and self.due_fen < self.given_fen

    @property
    def grants_fen(self) -> int:
        """What the decision grants: the difference on top of money sent, else the whole."""
        return self.due_fen - self.given_fen if self.sent else self.due_fen


def correction_due(s: Session, ent: Entitlement, pv: PolicyVersion) -> Correction | None:
    """What correcting ``ent`` to ``pv``'s amount involves, or None where a correction does
    not apply: the record is not one that ``pv`` excluded behind an earlier version's grant
    of the period, or it would give the same amount."""
    if ent.status != RecordStatus.EXCLUDED:
        return None
    if s.scalar(select(Grant.id).where(Grant.entitlement_id == ent.id)) is not None:
        return None
    earlier = once.earlier_grants(s, pv, {ent.uscc}).get(ent.uscc)
    if earlier is None or earlier.version >= pv.version:
        return None
    due = once.receivable(pv, ent.computed_fen)
    given, sent = earlier.amount_fen, earlier.sent
    group = pv.exclusivity_group
    others = (
        topup.given_in_group(s, group, ent.uscc, ent.benefit_period, besides=pv.policy_id)
        if group
        else 0
    )
    if others:
        # 就高不重复: another policy of the group topped this policy's sent grant up, so the
        # enterprise receives the group's highest once: the correction compares with all the
        # group gave, and only a higher amount adds its difference (QA, qa6: p v2 at
        # 400,000 added 50,000 over p v1's 350,000 on top of q's 500,000).
        if due <= given + others:
            return None
        given, sent = given + others, True
    if due == given:
        return None
    chain = _chain(s, pv, ent)
    sent = sent or any(_batched(s, g) for g in chain)
    return Correction(due, given, sent, earlier.grant_id, f"{pv.policy_id} v{earlier.version}")


def _chain(s: Session, pv: PolicyVersion, ent: Entitlement, *, lock: bool = False) -> list[Grant]:
    """The enterprise's live grants of ``pv``'s policy and period under other versions (the
    base grant and the corrections on top of it); ``lock``: locked, re-read."""
    stmt = select(Grant).where(
        Grant.policy_id == pv.policy_id,
        Grant.uscc == ent.uscc,
        Grant.benefit_period == ent.benefit_period,
        text(f"grants.{LIVE_GRANT}"),
        Grant.policy_version_id != pv.id,
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(s.scalars(stmt.order_by(Grant.id)))


def _lock_chain_records(s: Session, pv: PolicyVersion, ent: Entitlement) -> None:
    """Lock the records of the grants :func:`_chain` reads, in id order."""
    under = select(Grant.entitlement_id).where(
        Grant.policy_id == pv.policy_id,
        Grant.uscc == ent.uscc,
        Grant.benefit_period == ent.benefit_period,
        text(f"grants.{LIVE_GRANT}"),
        Grant.policy_version_id != pv.id,
    )
    s.execute(
        select(Entitlement.id)
        .where(Entitlement.id.in_(under))
        .order_by(Entitlement.id)
        .with_for_update()
    ).all()


def live_correction_of(s: Session, grant: Grant) -> Grant | None:
    """The live correction granted on top of ``grant``, if any (at most one)."""
    return s.scalar(
        select(Grant).where(Grant.corrects_grant_id == grant.id, text(f"grants.{LIVE_GRANT}"))
    )


def _batched(s: Session, grant: Grant) -> bool:
    """A granted grant already in a live disbursement batch has left too."""
    return bool(s.scalar(select(exists().where(BatchItem.grant_id == grant.id, live_item()))))


def grant_correction(
    s: Session, ent: Entitlement, pv: PolicyVersion, *, actor: Actor, reason: str
) -> tuple[Grant, str]:
    """Correct ``ent`` to ``pv``'s amount (in the caller's transaction, ``ent`` locked);
    return the grant made and the record's new status reason.

    Raises:
        CorrectionError: a correction does not apply, would take money back, or ``pv``'s
            budget or cap group cannot take it.
    """
    # The earlier grants are locked before they are read: two decisions on records of
    # different versions of the policy correct them one after the other. Their records
    # first, in the ledger's lock order (records, grants, slot, cap group, budget row), as
    # a withdrawal of one of those records takes them (huiqi.delivery.review): else a
    # correction and a withdrawal decided at once deadlock.
    _lock_chain_records(s, pv, ent)
    chain = _chain(s, pv, ent, lock=True)
    if pv.exclusivity_group:
        # The group's slot, next in that order, before what the group gave is read: a
        # top-up of another policy of the group decided at once waits (QA, qa6: both
        # counted without the other, 750,000 paid for a group whose highest is 600,000).
        s.execute(
            select(ExclusivitySlot)
            .where(
                ExclusivitySlot.group_name == pv.exclusivity_group,
                ExclusivitySlot.uscc == ent.uscc,
                ExclusivitySlot.benefit_period == ent.benefit_period,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    fix = correction_due(s, ent, pv)
    if fix is None or not chain:
        raise CorrectionError(
            f"record {ent.id} has no version correction to make: a correction is for a"
            " record that a newer version of its policy excluded behind an earlier"
            " version's grant and that would give another amount; keep or withdraw it"
            " instead"
        )
    replaced = topup.replaced_by(s, pv, ent)
    if replaced is not None:
        raise CorrectionError(replaced)
    held = s.scalar(
        select(Entitlement.id)
        .where(Entitlement.id.in_([g.entitlement_id for g in chain]), Entitlement.review_flag)
        .order_by(Entitlement.id)
        .limit(1)
    )
    if held is not None:
        # Flagged as no longer eligible (earlier_flags): correcting now superseded or topped
        # up a grant the newest data question, and paid the enterprise (qa1).
        raise CorrectionError(
            f"record {ent.id}: the earlier grant it would correct (record {held}) is flagged"
            " for review; decide that flag first: keep it, then correct this record, or"
            " withdraw it"
        )
    version = f"{pv.policy_id} v{pv.version}"
    if fix.refused:
        raise CorrectionError(
            f"{version} gives {yuan_text(fix.due_fen)} yuan, less than the"
            f" {yuan_text(fix.given_fen)} yuan already sent for payment under {fix.earlier}:"
            f" huiqi takes no money back; recover the {yuan_text(fix.given_fen - fix.due_fen)}"
            " yuan through the department's procedure and keep the record"
        )
    try:
        if fix.sent:
            grant, note = _add_difference(s, ent, pv, fix, actor=actor, reason=reason)
        else:
            grant, note = _replace(s, ent, pv, fix, chain, actor=actor, reason=reason)
    except IntegrityError:
        # Another decision corrected the same grant first (uq_grants_corrected_once, or
        # the one live grant per policy and period): the transaction is rolled back.
        raise CorrectionError(
            f"record {ent.id}: another decision corrected the same grant at the same time;"
            " reload the flagged records"
        ) from None
    return grant, note


def _add_difference(
    s: Session, ent: Entitlement, pv: PolicyVersion, fix: Correction, *, actor: Actor, reason: str
) -> tuple[Grant, str]:
    """Grant the difference on top of money already sent, naming the grant it corrects."""
    group = pv.exclusivity_group
    # The slot before the cap group and the budget row (the ledger's lock order).
    slot = (
        s.get(ExclusivitySlot, (group, ent.uscc, ent.benefit_period), with_for_update=True)
        if group
        else None
    )
    try:
        amount, provisional = topup.reserve_difference(s, pv, ent, fix.grants_fen)
    except topup.TopUpError as refused:
        raise CorrectionError(str(refused)) from None
    grant = new_grant(pv, ent, fix.grants_fen, amount, provisional=provisional)
    grant.corrects_grant_id = fix.earlier_grant_id
    s.add(grant)
    s.flush()
    note = (
        f"version correction: {pv.policy_id} v{pv.version} gives {yuan_text(fix.due_fen)}"
        f" yuan; {yuan_text(fix.given_fen)} yuan was already sent for payment under"
        f" {fix.earlier}, so the difference of {yuan_text(amount)} yuan is granted"
    )
    ent.status = RecordStatus.PENDING_ALLOCATION if provisional else RecordStatus.GRANTED
    ent.status_reason = note
    if slot is not None and (
        _of_policy(s, slot.entitlement_id, pv.policy_id)
        or slot.amount_fen <= fix.given_fen + amount
    ):
        # The group compares a third policy with what the enterprise now receives (also
        # where another policy's top-up held it, at less).
        slot.entitlement_id, slot.amount_fen = ent.id, fix.given_fen + amount
    _grant_event(s, grant, pv, ent, fix, actor=actor, reason=reason, note=note)
    shown = yuan_text(amount)
    notify.enqueue(
        s,
        uscc=ent.uscc,
        kind="granted",
        subject=f"「{pv.title_zh}」新版本金额调增，补发差额 {shown} 元",
        body=(
            f"「{pv.title_zh}」第 {pv.version} 版金额为 {yuan_text(fix.due_fen)} 元，"
            f"贵企业此前已获发 {yuan_text(fix.given_fen)} 元，经复核补发差额 {shown} 元"
            + ("，按比例分配后确定。" if provisional else "，将按批次拨付。")
        ),
        dedupe_key=f"version_fix:{pv.id}:{ent.uscc}:{ent.benefit_period}",
    )
    return grant, note


def _replace(
    s: Session,
    ent: Entitlement,
    pv: PolicyVersion,
    fix: Correction,
    chain: list[Grant],
    *,
    actor: Actor,
    reason: str,
) -> tuple[Grant, str]:
    """Supersede the earlier grants (never sent for payment) and grant ``pv``'s amount."""
    committed: list[tuple[int, int]] = []  # the earlier grants' budget commitments
    for old in chain:
        old_pv = s.get(PolicyVersion, old.policy_version_id)
        old_ent = s.get(Entitlement, old.entitlement_id)
        assert old_pv is not None and old_ent is not None
        # The slot, then the cap group; the budget rows last (the ledger's lock order).
        if old_pv.exclusivity_group:
            budgets.release_exclusivity_slot(
                s, old_pv.exclusivity_group, old.uscc, old.benefit_period, old_ent.id
            )
        if old_pv.cap_group:
            budgets.release_cap(s, old_pv.cap_group, old.uscc, old.benefit_period, old.amount_fen)
        if old.status == GrantStatus.GRANTED and old_pv.budget_fen is not None:
            committed.append((old_pv.id, old.amount_fen))
        old.status = GrantStatus.SUPERSEDED
        old_ent.status = RecordStatus.SUPERSEDED
        old_ent.status_reason = (
            f"replaced after review by {pv.policy_id} v{pv.version}, which grants"
            f" {yuan_text(fix.due_fen)} yuan instead"
        )
        record_event(
            s,
            actor=actor,
            kind="superseded",
            uscc=old.uscc,
            policy_version_id=old_pv.id,
            entity=f"entitlement:{old_ent.id}",
            reason=old_ent.status_reason,
            data={"grant_id": old.id, "replaced_by_version_id": pv.id},
        )
    s.flush()  # the earlier grant no longer counts as the policy's one grant
    made = grantmaker.make_grant(s, pv, ent, actor=actor, known_new=True)
    if made.grant is None:
        raise CorrectionError(
            f"{pv.policy_id} v{pv.version} cannot grant {yuan_text(fix.due_fen)} yuan in place"
            f" of the earlier grant, so nothing was changed: {made.reason}"
        )
    grant = made.grant
    for version_id, amount in committed:  # given back (budgets.give_back's terms)
        budgets.release(s, version_id, amount)
    note = (
        f"version correction: {pv.policy_id} v{pv.version} grants {yuan_text(grant.amount_fen)}"
        f" yuan in place of the {yuan_text(fix.given_fen)} yuan granted under {fix.earlier},"
        " which was never sent for payment"
    )
    ent.status_reason = note  # make_grant recorded the grant's event; the decision's says why
    notify.enqueue(
        s,
        uscc=ent.uscc,
        kind="granted",
        subject=f"「{pv.title_zh}」新版本金额调整为 {yuan_text(grant.amount_fen)} 元",
        body=(
            f"「{pv.title_zh}」第 {pv.version} 版金额为 {yuan_text(grant.amount_fen)} 元，"
            f"经复核取代此前通知的 {yuan_text(fix.given_fen)} 元（该笔尚未拨付，不再发放），"
            "不重复享受，将按批次拨付。"
        ),
        dedupe_key=f"version_fix:{pv.id}:{ent.uscc}:{ent.benefit_period}",
    )
    return grant, note


def _grant_event(
    s: Session,
    grant: Grant,
    pv: PolicyVersion,
    ent: Entitlement,
    fix: Correction,
    *,
    actor: Actor,
    reason: str,
    note: str,
) -> None:
    """The difference's grant event, with the grant it corrects."""
    record_event(
        s,
        actor=actor,
        kind="grant" if grant.status == GrantStatus.GRANTED else "provisional_grant",
        uscc=ent.uscc,
        policy_version_id=pv.id,
        entity=f"grant:{grant.id}",
        reason=note,
        data={
            "amount_fen": grant.amount_fen,
            "requested_fen": grant.requested_fen,
            "snapshot_id": ent.snapshot_id,
            "corrects_grant_id": fix.earlier_grant_id,
            "due_fen": fix.due_fen,
            "given_fen": fix.given_fen,
            "review_reason": reason,
        },
    )


def _of_policy(s: Session, entitlement_id: int, policy_id: str) -> bool:
    held = s.get(Entitlement, entitlement_id)
    held_pv = s.get(PolicyVersion, held.policy_version_id) if held is not None else None
    return held_pv is not None and held_pv.policy_id == policy_id
