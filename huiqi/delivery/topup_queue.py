"""What *top-up* would pay for each row of the flagged-records queue, set-based.

The queue (the officer console's flagged records) offers a reviewer the difference a
top-up would grant (就高不重复 behind a grant already sent for payment:
:mod:`huiqi.delivery.topup`). Asked record by record (``topup.top_up_due``), that took
some six statements a row: the record, its version, its own grant, the group's slot, the
grant holding it, and the group's grants twice. Here the same answers come from two
statements per :data:`CHUNK` rows, whatever the page size: the excluded records with
their versions, slots and the grants holding them, and the group grants of those
enterprises; the rest is worked out in memory by the same rules as ``top_up_due``, which
stays the one the decision itself applies (locked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from huiqi.delivery import once
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus, MatchStatus, RecordStatus

# Records looked at per round of two statements (bound values well under the limits).
CHUNK = 1_000
# (exclusivity group, USCC, benefit period)
_Key = tuple[str | None, str, str]


@dataclass(frozen=True)
class Standing:
    """Where an excluded record stands in its group: what it would receive, what the
    group's grants give, and the grant holding the group's slot."""

    due_fen: int  # what the record's policy gives (once.receivable)
    given_fen: int  # what the group's grants give in all
    sent: bool  # whether any of them has left for payment
    holder: str  # "<policy id> v<version>" of the grant holding the slot
    holder_status: str

    @property
    def difference_fen(self) -> int:
        """What a top-up would grant: 0 where none applies."""
        return self.due_fen - self.given_fen if self.sent and self.due_fen > self.given_fen else 0


def top_ups(s: Session, rows: Sequence[tuple[int, str]]) -> dict[int, int]:
    """For a queue of ``(record id, status)`` rows: the difference each excluded record could
    be granted, by record id (only those a top-up applies to); the same answers as
    ``topup.top_up_due`` record by record."""
    wanted = [i for i, status in rows if status == RecordStatus.EXCLUDED]
    found = standings(s, wanted)
    return {i: st.difference_fen for i, st in found.items() if st.difference_fen > 0}


def standings(s: Session, ids: Sequence[int]) -> dict[int, Standing]:
    """Where each of these excluded records stands in its group, by record id: only those
    set aside behind another policy's grant of their group (a top-up's to judge)."""
    found: dict[int, Standing] = {}
    for start in range(0, len(ids), CHUNK):
        found.update(_chunk(s, list(ids[start : start + CHUNK])))
    return found


def _chunk(s: Session, ids: list[int]) -> dict[int, Standing]:
    e, pv, slot = Entitlement, PolicyVersion, ExclusivitySlot
    held, held_pv = aliased(Grant), aliased(PolicyVersion)
    records = s.execute(
        select(
            e.id,
            e.uscc,
            e.benefit_period,
            e.computed_fen,
            pv.policy_id,
            pv.exclusivity_group,
            pv.per_enterprise_cap_fen,
            held.policy_id,
            held_pv.version,
            held.status,
        )
        .join(pv, pv.id == e.policy_version_id)
        .join(
            slot,
            and_(
                slot.group_name == pv.exclusivity_group,
                slot.uscc == e.uscc,
                slot.benefit_period == e.benefit_period,
            ),
        )
        .join(held, held.entitlement_id == slot.entitlement_id)
        .join(held_pv, held_pv.id == held.policy_version_id)
        .where(
            e.id.in_(ids),
            e.status == RecordStatus.EXCLUDED,
            # Not eligible on the newest data (huiqi.delivery.covered_refresh): nothing due.
            e.match_status != MatchStatus.NOT_ELIGIBLE,
            pv.exclusivity_group.is_not(None),
            pv.exclusivity_group != "",
            slot.entitlement_id != e.id,
            # A record that holds a grant (even one superseded since) has nothing to pay.
            ~exists().where(Grant.entitlement_id == e.id),
        )
    ).all()
    # An earlier version of the same policy holds the slot: a version correction's to
    # decide (huiqi.delivery.version_fix), never a top-up's.
    records = [r for r in records if r[7] != r[4]]
    if not records:
        return {}
    given = _group_grants(s, {(r[5], r[1], r[2]) for r in records})
    out: dict[int, Standing] = {}
    for rid, uscc, period, computed, _, group, cap, holder, version, status in records:
        grants = given.get((group, uscc, period), [])
        due = (computed or 0) if cap is None else min(computed or 0, cap)  # once.receivable
        out[int(rid)] = Standing(
            due,
            sum(amount for amount, _ in grants),
            any(sent in once.SENT for _, sent in grants),
            f"{holder} v{version}",
            str(status),
        )
    return out


def _group_grants(s: Session, keys: set[_Key]) -> dict[_Key, list[tuple[int, str]]]:
    """``topup._group_grants`` for these (group, USCC, period) keys: the amount and status of
    each grant that pays or will pay, by key."""
    rows = s.execute(
        select(
            PolicyVersion.exclusivity_group,
            Grant.uscc,
            Grant.benefit_period,
            Grant.amount_fen,
            Grant.status,
        )
        .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
        .join(Entitlement, Entitlement.id == Grant.entitlement_id)
        .where(
            PolicyVersion.exclusivity_group.in_(sorted({g for g, _, _ in keys if g})),
            Grant.uscc.in_(sorted({u for _, u, _ in keys})),
            Grant.status != GrantStatus.SUPERSEDED,
            Entitlement.status != RecordStatus.WITHDRAWN,
        )
    ).all()
    out: dict[_Key, list[tuple[int, str]]] = defaultdict(list)
    for group, uscc, period, amount, status in rows:
        if (group, uscc, period) in keys:
            out[group, uscc, period].append((int(amount), status))
    return out
