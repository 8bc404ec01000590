"""What a policy could still give one enterprise, given the grants it already holds.

A figure such as a near miss's estimate (差一点: "would be worth about …") is worth
showing only when the enterprise could receive it. The ledger gives one grant per
policy and benefit period whatever the version (:mod:`huiqi.delivery.once`), only the
highest of an exclusivity group (就高不重复, :mod:`huiqi.delivery.grantmaker`) and no
more than a shared per-enterprise cap allows. This module reads those same rules, without
reserving anything, for a few policies of one enterprise:

* ``granted``   the policy already granted the enterprise for the period: nothing more
                (what it holds: the base grant and a newer version's corrections on it);
* ``outranked`` another policy of its exclusivity group gives at least as much (or has
                already been batched or paid): nothing;
* ``capped``    the shared cap of its cap group is used up for the period: nothing;
* ``replaces``  it would give more than the group's lower grant, which it would replace:
                its amount, with the grant given up named;
* ``group``     the group holds a grant and the amount is not known: only the higher of
                the two would be granted.

Amounts are integer fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huiqi.delivery import budget as budgets
from huiqi.delivery import topup
from huiqi.delivery.allocation import Candidate, choose_highest
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.once import receivable
from huiqi.delivery.statuses import GrantStatus, VersionStatus
from huiqi.delivery.tables import LIVE_GRANT

HELD_KINDS = ("granted", "outranked", "capped", "replaces", "group")


@dataclass(frozen=True)
class Held:
    """Why a policy gives the enterprise less than its amount: what it already holds."""

    kind: str  # one of HELD_KINDS
    period: str  # the benefit period
    policy_id: str = ""  # the policy of the grant held ("" for capped)
    title_zh: str = ""
    amount_fen: int = 0  # what the enterprise holds under it (capped: 0)
    group: str = ""  # the exclusivity or cap group

    @property
    def obtainable(self) -> bool:
        """Whether the policy could still give something (replaces: yes; group: perhaps)."""
        return self.kind in ("replaces", "group")


@dataclass(frozen=True)
class Obtainable:
    """What the policy could give (None: nothing, or no estimate) and why it is less."""

    amount_fen: int | None
    held: Held | None = None


def _version(session: Session, policy_id: str, version: int) -> PolicyVersion | None:
    return session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy_id,
            PolicyVersion.version == version,
            PolicyVersion.status == VersionStatus.PUBLISHED,
        )
    )


def _granted(session: Session, pv: PolicyVersion, uscc: str) -> Grant | None:
    return session.scalar(
        select(Grant)
        .where(
            Grant.policy_id == pv.policy_id,
            Grant.uscc == uscc,
            Grant.benefit_period == pv.benefit_period,
            text(f"grants.{LIVE_GRANT}"),
            Grant.corrects_grant_id.is_(None),  # the base grant: the index's terms (0028)
        )
        .limit(1)
    )


def _with_corrections(session: Session, base: Grant) -> int:
    """What the enterprise receives under the policy for the period: the base grant and
    the live corrections on top of it (a newer version's difference, each naming the
    grant it corrects: huiqi.delivery.version_fix)."""
    total, below = base.amount_fen, base.id
    while True:  # each grant is corrected at most once while live (uq_grants_corrected_once)
        on_top = session.execute(
            select(Grant.id, Grant.amount_fen).where(
                Grant.corrects_grant_id == below, text(f"grants.{LIVE_GRANT}")
            )
        ).first()
        if on_top is None:
            return total
        below, total = int(on_top[0]), total + int(on_top[1])


def _group_holder(
    session: Session, pv: PolicyVersion, uscc: str
) -> tuple[ExclusivitySlot, PolicyVersion, Grant | None] | None:
    if not pv.exclusivity_group:
        return None
    slot = session.get(ExclusivitySlot, (pv.exclusivity_group, uscc, pv.benefit_period))
    if slot is None:
        return None
    ent = session.get(Entitlement, slot.entitlement_id)
    holder = session.get(PolicyVersion, ent.policy_version_id) if ent else None
    if ent is None or holder is None or holder.policy_id == pv.policy_id:
        return None
    grant = session.scalar(select(Grant).where(Grant.entitlement_id == ent.id))
    return slot, holder, grant


def obtainable(
    session: Session, uscc: str, policy_id: str, version: int, amount_fen: int | None
) -> Obtainable:
    """What ``policy_id`` ``version`` could give ``uscc`` of ``amount_fen`` (the engine's
    amount), under the ledger's rules (see the module docstring). A policy the ledger has
    not published (the library read directly) holds nothing back."""
    pv = _version(session, policy_id, version)
    if pv is None:
        return Obtainable(amount_fen)
    period = pv.benefit_period
    grant = _granted(session, pv, uscc)
    if grant is not None:
        given = _with_corrections(session, grant)
        return Obtainable(None, Held("granted", period, pv.policy_id, pv.title_zh, given))
    amount = None if amount_fen is None else receivable(pv, amount_fen)
    if amount is not None and pv.cap_group and pv.per_enterprise_cap_fen is not None:
        left = budgets.cap_left(session, pv.cap_group, uscc, period, pv.per_enterprise_cap_fen)
        if left <= 0:
            return Obtainable(None, Held("capped", period, group=pv.cap_group))
        amount = min(amount, left)
    found = _group_holder(session, pv, uscc)
    if found is None:
        return Obtainable(amount)
    slot, holder, held_grant = found
    said = Held(
        "outranked",
        period,
        holder.policy_id,
        holder.title_zh,
        slot.amount_fen,
        pv.exclusivity_group or "",
    )
    group = pv.exclusivity_group or ""
    settled = (
        held_grant is not None
        and held_grant.status not in (GrantStatus.GRANTED, GrantStatus.PROVISIONAL)
    ) or topup.money_sent(session, group, uscc, period)
    if settled:
        # Money of the group has left: it is never superseded, and a higher policy adds
        # at most the difference, on a reviewer's top-up (huiqi.delivery.topup).
        given = topup.given_in_group(session, group, uscc, period)
        if amount is not None and amount > given:
            more = Held("group", period, holder.policy_id, holder.title_zh, given, group)
            return Obtainable(amount - given, more)
        return Obtainable(None, said)
    if amount is None:  # no estimate to compare: only the higher of the two is granted
        return Obtainable(None, Held("group", *_fields(said)))
    new = Candidate(pv.policy_id, pv.version, amount)
    held = Candidate(holder.policy_id, holder.version, slot.amount_fen)
    if choose_highest([held, new]).chosen is not new:
        return Obtainable(None, said)
    return Obtainable(amount, Held("replaces", *_fields(said)))


def _fields(held: Held) -> tuple[str, str, str, int, str]:
    return held.period, held.policy_id, held.title_zh, held.amount_fen, held.group


def obtainable_all(
    session: Session, uscc: str, wanted: Sequence[tuple[str, int, int | None]]
) -> dict[tuple[str, int], Obtainable]:
    """:func:`obtainable` for each (policy id, version, amount) of one enterprise."""
    return {(p, v): obtainable(session, uscc, p, v, a) for p, v, a in wanted}
