"""What *correct* would do for each row of the flagged-records queue, set-based.

The queue (the officer console's flagged records and its JSON twin) shows, for each record
that a newer version excluded behind an earlier version's grant, what a reviewer's
``correct`` would grant (:mod:`huiqi.delivery.version_fix`). Asked record by record
(``version_fix.correction_due``), that took some seven statements a row: the record, its
version, its own grant, the earlier grants and the corrections on top of them, the chain
again and each grant's batch items; a queue of 500 rows sent thousands. Here the same
answers come from three statements per :data:`CHUNK` rows, whatever the page size: the
excluded records with their versions, the live grants of their policies and enterprises,
and the live batch items of those grants (a fourth where some of the records' policies are
in an exclusivity group: what the groups' policies gave those enterprises); the rest is
worked out in memory by the same rules as ``correction_due``, which stays the one the
decision itself applies (locked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from huiqi.delivery import once
from huiqi.delivery.disburse import live_item
from huiqi.delivery.models import BatchItem, Entitlement, Grant, PolicyVersion
from huiqi.delivery.statuses import GrantStatus, RecordStatus
from huiqi.delivery.tables import LIVE_GRANT
from huiqi.delivery.version_fix import Correction

# Records looked at per round of three statements (bound values stay well under the
# databases' limits: a USCC and a policy id per record, and their grants' ids).
CHUNK = 1_000


@dataclass(frozen=True)
class _Live:
    """A live grant of a policy for an enterprise, as the queue needs it."""

    id: int
    period: str
    version_id: int
    version: int
    amount_fen: int
    status: str
    corrects: int | None


def corrections(s: Session, rows: Sequence[tuple[int, str]]) -> dict[int, Correction]:
    """For a queue of ``(record id, status)`` rows: the correction each excluded record
    could have, by record id (only those a correction applies to); the same answers as
    ``version_fix.correction_due`` record by record."""
    wanted = [i for i, status in rows if status == RecordStatus.EXCLUDED]
    found: dict[int, Correction] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(_chunk(s, wanted[start : start + CHUNK]))
    return found


def _chunk(s: Session, ids: list[int]) -> dict[int, Correction]:
    e, pv = Entitlement, PolicyVersion
    records = s.execute(
        select(
            e.id,
            e.uscc,
            e.benefit_period,
            e.computed_fen,
            pv.id,
            pv.policy_id,
            pv.version,
            pv.benefit_period,
            pv.per_enterprise_cap_fen,
            pv.exclusivity_group,
        )
        .join(pv, pv.id == e.policy_version_id)
        .where(
            e.id.in_(ids),
            e.status == RecordStatus.EXCLUDED,
            # A record that holds a grant (even one superseded since) has nothing to correct.
            ~exists().where(Grant.entitlement_id == e.id),
        )
    ).all()
    if not records:
        return {}
    live = _live_grants(s, {(r[5], r[1]) for r in records})
    sent = _batched(s, [g.id for grants in live.values() for g in grants])
    in_groups = _group_grants(s, {(r[9], r[1], r[2]) for r in records if r[9]})
    out: dict[int, Correction] = {}
    for rid, uscc, period, computed, pv_id, policy, version, pv_period, cap, group in records:
        grants = live.get((policy, uscc), [])
        earlier = _earlier(grants, pv_period, pv_id, version)
        if earlier is None or earlier.version >= version:
            continue
        due = (computed or 0) if cap is None else min(computed or 0, cap)  # once.receivable
        given, was_sent = earlier.amount_fen, earlier.sent
        # topup.given_in_group(..., besides=policy), as correction_due compares (qa10: the
        # queue offered p v2's 50,000 over p v1 where q's top-up held the group higher).
        grouped = in_groups.get((group or "", uscc, period), [])
        others = sum(amount for p, amount in grouped if p != policy)
        if others:
            if due <= given + others:
                continue
            given, was_sent = given + others, True
        if due == given:
            continue
        chain = [g for g in grants if g.period == period and g.version_id != pv_id]
        out[rid] = Correction(
            due,
            given,
            was_sent or any(g.id in sent for g in chain),
            earlier.grant_id,
            f"{policy} v{earlier.version}",
        )
    return out


def _group_grants(
    s: Session, keys: set[tuple[str, str, str]]
) -> dict[tuple[str, str, str], list[tuple[str, int]]]:
    """``topup._group_grants`` for these (group, USCC, period) triples at once: the
    (policy id, amount) of each grant that pays or will pay, by triple."""
    if not keys:
        return {}
    g, pv, e = Grant, PolicyVersion, Entitlement
    rows = s.execute(
        select(pv.exclusivity_group, g.uscc, g.benefit_period, g.policy_id, g.amount_fen)
        .join(pv, pv.id == g.policy_version_id)
        .join(e, e.id == g.entitlement_id)
        .where(
            pv.exclusivity_group.in_(sorted({k[0] for k in keys})),
            g.uscc.in_(sorted({k[1] for k in keys})),
            g.benefit_period.in_(sorted({k[2] for k in keys})),
            g.status != GrantStatus.SUPERSEDED,
            e.status != RecordStatus.WITHDRAWN,
        )
    ).all()
    out: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for group, u, period, policy, amount in rows:
        if (group, u, period) in keys:
            out[str(group), u, period].append((policy, int(amount)))
    return out


def _live_grants(s: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[_Live]]:
    """The live grants of these (policy id, USCC) pairs, by pair, in id order."""
    g = Grant
    rows = s.execute(
        select(
            g.id,
            g.policy_id,
            g.uscc,
            g.benefit_period,
            g.policy_version_id,
            PolicyVersion.version,
            g.amount_fen,
            g.status,
            g.corrects_grant_id,
        )
        .join(PolicyVersion, PolicyVersion.id == g.policy_version_id)
        .where(
            g.policy_id.in_(sorted({p for p, _ in keys})),
            g.uscc.in_(sorted({u for _, u in keys})),
            text(f"grants.{LIVE_GRANT}"),
        )
        .order_by(g.id)
    ).all()
    out: dict[tuple[str, str], list[_Live]] = defaultdict(list)
    for i, p, u, period, v_id, v, amount, status, corrects in rows:
        if (p, u) in keys:
            out[p, u].append(
                _Live(int(i), period, int(v_id), int(v), int(amount), status, corrects)
            )
    return out


def _batched(s: Session, grant_ids: list[int]) -> set[int]:
    """Which of these grants are in a live disbursement batch."""
    if not grant_ids:
        return set()
    return {
        int(i)
        for i in s.scalars(
            select(BatchItem.grant_id).where(BatchItem.grant_id.in_(grant_ids), live_item())
        )
    }


def _earlier(
    grants: list[_Live], period: str, pv_id: int, version: int
) -> once.EarlierGrant | None:
    """``once.earlier_grants`` for one enterprise, from its live grants of the policy: the
    base grant of ``period`` under another version, and the corrections on top of it."""
    base = [
        g for g in grants if g.period == period and g.corrects is None and g.version_id != pv_id
    ]
    if not base:
        return None
    tip = base[-1]  # one at most (the one-grant-per-policy-and-period index)
    found = once.EarlierGrant(
        tip.id, tip.version, tip.amount_fen, tip.status, tip.status in once.SENT
    )
    on_top = {g.corrects: g for g in grants if g.corrects is not None}
    while (nxt := on_top.get(found.grant_id)) is not None:
        found = once.EarlierGrant(
            nxt.id,
            nxt.version,
            found.amount_fen + nxt.amount_fen,
            nxt.status,
            found.sent or nxt.status in once.SENT,
        )
    return found if found.version != version else None
