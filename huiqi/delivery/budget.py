"""Budgets, caps and exclusivity slots, reserved inside the caller's transaction.

Each reservation is a single conditional statement (or an insert that the
primary key makes idempotent), so concurrent callers on PostgreSQL queue on the
row lock and re-check the condition, and SQLite serialises writers at BEGIN
IMMEDIATE. The CHECK constraints on ``policy_versions`` and ``cap_usage`` are a
second guard: a bug here fails the transaction instead of overspending.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.delivery.allocation import apply_cap
from huiqi.delivery.models import CapUsage, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus


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


def give_back(session: Session, pv: PolicyVersion, grant: Grant) -> None:
    """Release what a grant under ``pv`` never sent for payment holds, as it is superseded:
    its first-come budget commitment (a provisional grant, pro rata, has none yet) and its
    use of the enterprise's cap group."""
    if grant.status == GrantStatus.GRANTED and pv.budget_fen is not None:
        release(session, pv.id, grant.amount_fen)
    if pv.cap_group:
        # The superseded grant no longer counts against the shared cap.
        release_cap(session, pv.cap_group, grant.uscc, grant.benefit_period, grant.amount_fen)


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


def release_exclusivity_slot(
    session: Session, group: str, uscc: str, period: str, entitlement_id: int
) -> None:
    """Free the (group, enterprise, period) slot if ``entitlement_id`` holds it (its grant
    was withdrawn): the group's other policies may grant the enterprise again."""
    session.execute(
        delete(ExclusivitySlot)
        .where(
            ExclusivitySlot.group_name == group,
            ExclusivitySlot.uscc == uscc,
            ExclusivitySlot.benefit_period == period,
            ExclusivitySlot.entitlement_id == entitlement_id,
        )
        .execution_options(synchronize_session="fetch")
    )


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
