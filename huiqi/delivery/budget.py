"""Budgets, caps and exclusivity slots, reserved inside the caller's transaction.

Each reservation is a single conditional statement (or an insert that the
primary key makes idempotent), so concurrent callers on PostgreSQL queue on the
row lock and re-check the condition, and SQLite serialises writers at BEGIN
IMMEDIATE. The CHECK constraints on ``policy_versions`` and ``cap_usage`` are a
second guard: a bug here fails the transaction instead of overspending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Table, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi import clock
from huiqi.accounts.access import Actor, PolicyRef, require_policy_scope
from huiqi.accounts.roles import Role
from huiqi.delivery import notify
from huiqi.delivery.allocation import apply_cap, pro_rata
from huiqi.delivery.audit import record_event
from huiqi.delivery.models import CapUsage, Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.errors import NotFoundError, StateConflict
from huiqi.money import format_yuan


class AllocationError(StateConflict):
    """A pro-rata allocation cannot run now (wrong mode, window still open, late claims)."""


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT one row unless its key exists (ON CONFLICT DO NOTHING); True if inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported backends exist
        raise NotImplementedError(f"no insert-if-missing for dialect {dialect!r}")
    return _rowcount(session.execute(stmt)) == 1


def shared_pro_rata(pv: PolicyVersion) -> bool:
    """The version shares its budget pro rata: its grants are provisional until the
    allocation (``huiqi.delivery.allocation``)."""
    return pv.budget_fen is not None and pv.budget_mode == "pro_rata"


def take_first_come(session: Session, pv: PolicyVersion, amount_fen: int) -> int | None:
    """Reserve ``amount_fen`` of a first-come budget for one grant under ``pv``.

    None when it is reserved, or when nothing is to be reserved now (no budget; a budget
    shared pro rata). Otherwise what the budget has left, less than the amount: nothing
    was reserved, and the caller refuses the grant (first come, first served: no partial
    grants).
    """
    if pv.budget_fen is None or shared_pro_rata(pv):
        return None
    if reserve_first_come(session, pv.id, amount_fen):
        return None
    return max(pv.budget_fen - (pv.committed_fen or 0), 0)


def reserve_first_come(session: Session, policy_version_id: int, amount_fen: int) -> bool:
    """Add ``amount_fen`` to the version's committed money if the budget allows.

    One conditional UPDATE; False when the budget cannot take the whole amount
    (first come, first served: no partial grants) or the version does not exist.
    A version without a budget (``budget_fen`` NULL) always accepts.
    """
    if amount_fen < 0:
        raise ValueError(f"cannot reserve a negative amount ({amount_fen} fen)")
    pv = PolicyVersion
    stmt = (
        update(pv)
        .where(
            pv.id == policy_version_id,
            or_(pv.budget_fen.is_(None), pv.committed_fen + amount_fen <= pv.budget_fen),
        )
        .values(committed_fen=pv.committed_fen + amount_fen)
        # No session sync (a round trip per claim); the loaded version is expired instead.
        .execution_options(synchronize_session=False)
    )
    done = _rowcount(session.execute(stmt)) == 1
    loaded = session.identity_map.get(session.identity_key(PolicyVersion, policy_version_id))
    if loaded is not None:
        session.expire(loaded, ["committed_fen"])
    return done


def release(session: Session, policy_version_id: int, amount_fen: int) -> None:
    """Give ``amount_fen`` back to the version's budget (a grant undone or reduced).

    Raises:
        ValueError: negative amount, or more than is committed (a ledger bug).
    """
    if amount_fen < 0:
        raise ValueError(f"cannot release a negative amount ({amount_fen} fen)")
    pv = PolicyVersion
    stmt = (
        update(pv)
        .where(pv.id == policy_version_id, pv.committed_fen >= amount_fen)
        .values(committed_fen=pv.committed_fen - amount_fen)
        .execution_options(synchronize_session="fetch")
    )
    if _rowcount(session.execute(stmt)) != 1:
        raise ValueError(
            f"cannot release {amount_fen} fen from policy version {policy_version_id}:"
            " it does not exist or has less committed"
        )


def reserve_cap(
    session: Session, cap_group: str, uscc: str, period: str, cap_fen: int, amount_fen: int
) -> int:
    """Reserve up to ``amount_fen`` under an enterprise's cap; return what was granted.

    The usage row is created on first use with ``cap_fen``. When the row already
    holds a different cap (a later version changed it), the smaller one applies.
    The row is locked (FOR UPDATE on PostgreSQL; SQLite already holds the write
    lock) and the UPDATE re-checks the cap, so two callers cannot both take the
    last fen.
    """
    if amount_fen <= 0:
        return 0
    key = {"cap_group": cap_group, "uscc": uscc, "benefit_period": period}
    insert_ignore(
        session, cast(Table, CapUsage.__table__), {**key, "cap_fen": cap_fen, "used_fen": 0}
    )
    cu = CapUsage
    where = (cu.cap_group == cap_group, cu.uscc == uscc, cu.benefit_period == period)
    row = session.execute(select(cu.cap_fen, cu.used_fen).where(*where).with_for_update()).one()
    granted = apply_cap(amount_fen, min(cap_fen, row.cap_fen), row.used_fen)
    if granted == 0:
        return 0
    stmt = (
        update(cu)
        .where(*where, cu.used_fen + granted <= min(cap_fen, row.cap_fen))
        .values(used_fen=cu.used_fen + granted)
        .execution_options(synchronize_session="fetch")
    )
    return granted if _rowcount(session.execute(stmt)) == 1 else 0


def cap_left(session: Session, cap_group: str, uscc: str, period: str, cap_fen: int) -> int:
    """What an enterprise may still receive under a shared cap (read, not reserved: the
    reservation in :func:`reserve_cap` is what enforces the cap)."""
    cu = CapUsage
    row = session.execute(
        select(cu.cap_fen, cu.used_fen).where(
            cu.cap_group == cap_group, cu.uscc == uscc, cu.benefit_period == period
        )
    ).one_or_none()
    if row is None:
        return cap_fen
    return max(0, min(cap_fen, row.cap_fen) - row.used_fen)


def release_cap(session: Session, cap_group: str, uscc: str, period: str, amount_fen: int) -> None:
    """Give back ``amount_fen`` of an enterprise's cap usage (never below zero)."""
    if amount_fen <= 0:
        return
    cu = CapUsage
    session.execute(
        update(cu)
        .where(cu.cap_group == cap_group, cu.uscc == uscc, cu.benefit_period == period)
        .values(used_fen=case((cu.used_fen > amount_fen, cu.used_fen - amount_fen), else_=0))
        .execution_options(synchronize_session="fetch")
    )


def take_exclusivity_slot(
    session: Session, group: str, uscc: str, period: str, entitlement_id: int, amount_fen: int
) -> ExclusivitySlot | None:
    """Take the (group, enterprise, period) slot for one entitlement.

    Returns the slot when this entitlement now holds it (also when it already
    did: retrying is safe), None when another entitlement holds it; then
    :func:`exclusivity_holder` says which, for the explanation.
    """
    insert_ignore(
        session,
        cast(Table, ExclusivitySlot.__table__),
        {
            "group_name": group,
            "uscc": uscc,
            "benefit_period": period,
            "entitlement_id": entitlement_id,
            "amount_fen": amount_fen,
        },
    )
    holder = exclusivity_holder(session, group, uscc, period)
    if holder is None or holder.entitlement_id != entitlement_id:
        return None
    return holder


def exclusivity_holder(
    session: Session, group: str, uscc: str, period: str
) -> ExclusivitySlot | None:
    """The slot currently held in (group, enterprise, period), if any."""
    return session.scalars(
        select(ExclusivitySlot)
        .where(
            ExclusivitySlot.group_name == group,
            ExclusivitySlot.uscc == uscc,
            ExclusivitySlot.benefit_period == period,
        )
        .execution_options(populate_existing=True)
    ).one_or_none()


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
        .where(Grant.policy_version_id == pv.id, Grant.status != GrantStatus.PROVISIONAL)
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
