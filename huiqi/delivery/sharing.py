"""Sharing a pro-rata policy's pool among its provisional grants, once the claim window
has closed: every claim scaled by the same ratio to the fen (``allocation.pro_rata``),
caps given back, each enterprise told what it gets."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import clock
from huiqi.accounts.access import Actor, PolicyRef, require_policy_scope
from huiqi.accounts.roles import Role
from huiqi.delivery import notify
from huiqi.delivery.allocation import pro_rata
from huiqi.delivery.audit import record_event
from huiqi.delivery.budget import release_cap
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.statuses import NOT_ALLOCATED, GrantStatus, RecordStatus
from huiqi.errors import NotFoundError, StateConflict
from huiqi.money import format_yuan


class AllocationError(StateConflict):
    """A pro-rata allocation cannot run now (wrong mode, window still open, late claims)."""


@dataclass(frozen=True)
class AllocationResult:
    """What one pro-rata run did. ``changed`` is False when there was nothing to do."""

    policy_version_id: int
    budget_fen: int | None
    claimed_fen: int
    allocated_fen: int
    allocations: dict[int, int] = field(default_factory=dict)  # grant id -> fen
    changed: bool = True
    message: str = ""

    def __str__(self) -> str:
        return self.message


def allocate_pro_rata(
    session: Session, policy_version_id: int, *, actor: Actor
) -> AllocationResult:
    """Share a pro-rata policy's budget among its provisional grants, once.

    Each provisional grant's claim is its ``amount_fen`` (the requested amount
    after any per-enterprise cap; equal to ``requested_fen`` when uncapped), so
    an allocation never exceeds a cap. The shares come from
    :func:`~huiqi.delivery.allocation.pro_rata`; grants become ``granted`` (an
    allocation of 0 fen is recorded too), ``pending_allocation`` entitlements
    become ``granted``, unused cap is given back, ``committed_fen`` becomes the
    allocated total, and each grant gets an ``allocated`` event.

    The claim window must be closed: no entitlement of the version may still be
    ``offered``. A second run finds no provisional grants and changes nothing.

    Raises:
        NotFoundError: no such policy version.
        AllocationError: not a pro-rata version, offers still open, or
            provisional grants arriving after an allocation was made.
    """
    pv = session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.id == policy_version_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if pv is None:
        raise NotFoundError(f"policy version {policy_version_id} does not exist")
    require_policy_scope(
        actor,
        PolicyRef(pv.level, pv.region, pv.department),
        f"allocate {pv.policy_id}",
        Role.POLICY_PUBLISHER,
        also=(Role.FINANCE_OFFICER, Role.SCHEDULER),
    )
    if pv.budget_mode != "pro_rata":
        raise AllocationError(
            f"{pv.policy_id} v{pv.version} uses budget mode '{pv.budget_mode}', not 'pro_rata';"
            " only pro-rata versions are allocated after the claim window"
        )
    open_offers = session.scalar(
        select(func.count())
        .select_from(Entitlement)
        .where(Entitlement.policy_version_id == pv.id, Entitlement.status == RecordStatus.OFFERED)
    )
    if open_offers:
        raise AllocationError(
            f"{pv.policy_id} v{pv.version} still has {open_offers} open offer(s);"
            " expire them when the claim window closes, then allocate"
        )
    provisional = list(
        session.scalars(
            select(Grant)
            .where(Grant.policy_version_id == pv.id, Grant.status == GrantStatus.PROVISIONAL)
            .order_by(Grant.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    done = session.scalar(
        select(func.count())
        .select_from(Grant)
        .where(Grant.policy_version_id == pv.id, Grant.status.not_in(NOT_ALLOCATED))
    )
    if not provisional:
        return AllocationResult(
            pv.id,
            pv.budget_fen,
            0,
            0,
            changed=False,
            message=f"nothing to allocate: {done} grant(s) of {pv.policy_id} v{pv.version}"
            " were allocated before",
        )
    if done:
        raise AllocationError(
            f"{pv.policy_id} v{pv.version} was already allocated, but {len(provisional)}"
            " provisional grant(s) arrived afterwards; an officer must decide on them"
        )
    claims = {g.id: g.amount_fen for g in provisional}
    budget = pv.budget_fen
    shares = dict(claims) if budget is None else pro_rata(claims, budget)
    claimed, allocated = sum(claims.values()), sum(shares.values())
    pv.committed_fen = allocated
    entitlements = {
        e.id: e
        for e in session.scalars(
            select(Entitlement).where(Entitlement.id.in_([g.entitlement_id for g in provisional]))
        )
    }
    budget_zh = "不设上限" if budget is None else f"{format_yuan(budget, grouping=False)} 元"
    budget_en = (
        "no budget limit"
        if budget is None
        else f"budget {format_yuan(budget, grouping=False)} yuan"
    )
    for g in provisional:
        share = shares[g.id]
        reason = (
            f"按比例分配：申请 {format_yuan(claims[g.id], grouping=False)} 元，预算 {budget_zh}，申请总额"
            f" {format_yuan(claimed, grouping=False)} 元，分配 {format_yuan(share, grouping=False)} 元 / pro rata: claimed"
            f" {format_yuan(claims[g.id], grouping=False)} yuan of {format_yuan(claimed, grouping=False)} yuan in total, {budget_en},"
            f" allocated {format_yuan(share, grouping=False)} yuan"
        )
        # The allocation's note makes the grant's explanation its own (a copy of its
        # record's, which stays as it was made).
        ent = entitlements.get(g.entitlement_id)
        own = g.explanation if g.explanation is not None else ent.explanation if ent else {}
        g.explanation = {
            **(own or {}),
            "allocation": {
                "claimed_fen": claims[g.id],
                "allocated_fen": share,
                "claimed_total_fen": claimed,
                "budget_fen": budget,
            },
        }
        if share < claims[g.id] and pv.cap_group and pv.per_enterprise_cap_fen is not None:
            release_cap(session, pv.cap_group, g.uscc, g.benefit_period, claims[g.id] - share)
        g.amount_fen = share
        g.status = GrantStatus.GRANTED
        if ent is not None and ent.status == RecordStatus.PENDING_ALLOCATION:
            ent.status = RecordStatus.GRANTED
            ent.status_reason = reason
        record_event(
            session,
            actor=actor,
            kind="allocated",
            uscc=g.uscc,
            policy_version_id=pv.id,
            entity=f"grant:{g.id}",
            reason=reason,
            data={
                "requested_fen": g.requested_fen,
                "claimed_fen": claims[g.id],
                "allocated_fen": share,
            },
        )
    # The enterprises were told the amount was provisional: now tell each what it gets.
    notify.enqueue_many(
        session,
        [
            notify.Message(
                uscc=g.uscc,
                kind="granted",
                subject=f"「{pv.title_zh}」按比例分配结果：{format_yuan(shares[g.id])}元",
                body=f"「{pv.title_zh}」预算按比例分配：您的测算金额 {format_yuan(claims[g.id])} 元，"
                f"实际核定 {format_yuan(shares[g.id])} 元，将按批次拨付。",
                dedupe_key=f"allocated:{pv.id}:{g.uscc}:{g.benefit_period}",
            )
            for g in provisional
        ],
        count=False,
    )
    session.flush()
    return AllocationResult(
        pv.id,
        budget,
        claimed,
        allocated,
        shares,
        changed=True,
        message=f"allocated {format_yuan(allocated)} yuan among {len(shares)} grant(s) of"
        f" {pv.policy_id} v{pv.version} (claimed {format_yuan(claimed)} yuan)" + _early_note(pv),
    )


def _early_note(pv: PolicyVersion) -> str:
    """Said when the pool is shared before the policy's window closes (huiqi.clock): it is
    allowed (an office may allocate at a date of its own), but an enterprise that qualifies
    later gets no share, and its grant waits for an officer."""
    today = clock.today()
    if today > pv.valid_to:
        return ""
    return (
        f"; note: allocated before the window closes on {pv.valid_to.isoformat()}: an"
        " enterprise that qualifies after today gets no share of this pool, and its"
        " provisional grant waits for an officer"
    )
