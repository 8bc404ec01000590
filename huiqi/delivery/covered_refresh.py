"""A record set aside behind an earlier version's grant follows the newest data.

Version 2 of a policy records an enterprise that version 1 already granted for the period
as ``excluded`` (:mod:`huiqi.delivery.once`), flagged where version 2 would give another
amount, so that a reviewer may decide *correct* (:mod:`huiqi.delivery.version_fix`),
which pays the record's amount. That amount was the snapshot's that first judged the
record: a later import that changed the enterprise's data, delivered in full or
incrementally, left it as it was, and ``correct`` paid the old amount (qa7).

So each delivery of the version also judges its set-aside records again, set-based:

- where the enterprise is still eligible and the amount changed, the record takes the
  new evaluation (``computed_fen``, explanation and snapshot move together, as an open
  offer's do: :mod:`huiqi.delivery.offer_refresh`), and its flag says again whether a
  correction is due: flagged while the amount differs from the earlier grants', its
  question closed when it no longer does; one ``excluded`` event each;
- where the enterprise is no longer eligible (nor in error), its correction flag is
  closed (``review_closed``) and its match status reads ``not_eligible``: nothing is due
  to an enterprise the newest data do not make eligible, and the earlier grant is
  questioned on its own record (:mod:`huiqi.delivery.earlier_flags`). A later snapshot
  that makes it eligible again judges it again, as above, whatever its amount.

A record that holds a grant (a correction was made) never changes here. A record that its
exclusivity group set aside (就高不重复, a top-up's to decide) is judged again by
:mod:`huiqi.delivery.topup_refresh`; no longer eligible, its flag is closed here as well
(``review_closed``, "no top-up is due"), so that nothing is paid on it (qa11).
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import once
from huiqi.delivery.audit import record_events
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion, utcnow
from huiqi.delivery.records import CHUNK
from huiqi.delivery.statuses import MatchStatus, RecordStatus
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text


def set_aside(pv: PolicyVersion) -> tuple[ColumnElement[bool], ...]:
    """The terms of ``pv``'s records set aside with nothing granted on them."""
    e = Entitlement
    return (
        e.policy_version_id == pv.id,
        e.benefit_period == pv.benefit_period,
        e.status == RecordStatus.EXCLUDED,
        ~exists().where(Grant.entitlement_id == e.id),
    )


def changed_set_aside(
    s: Session, pv: PolicyVersion, rows: Sequence[ResultRow], sid: int
) -> tuple[dict[str, ResultRow], list[tuple[int, str, int | None]]]:
    """This snapshot's eligible ``rows`` by USCC, and ``pv``'s set-aside records among them
    that it changes, locked: ``(record id, USCC, amount before)``. A record changes where
    its amount does, or where it is eligible again after a snapshot that found it not (its
    flag closed by ``close_lost_corrections``), even at the same amount."""
    now_of = {r.uscc: r for r in rows if r.status == MatchStatus.ELIGIBLE}
    if not now_of:
        return now_of, []
    e = Entitlement
    held = s.execute(
        select(e.id, e.uscc, e.computed_fen, e.match_status)
        .where(*set_aside(pv), e.uscc.in_(sorted(now_of)), e.snapshot_id != sid)
        .with_for_update()
    ).all()
    changed = [
        (int(i), u, old)
        for i, u, old, match in held
        if old != now_of[u].amount_fen or match != MatchStatus.ELIGIBLE
    ]
    return now_of, changed


def refresh_covered(
    s: Session, pv: PolicyVersion, rows: Sequence[ResultRow], sid: int, actor: str
) -> int:
    """Give ``pv``'s set-aside records among ``rows`` (this snapshot's results) the amount
    this snapshot gives, where it changed; return how many changed. In the caller's
    transaction."""
    now_of, changed = changed_set_aside(s, pv, rows, sid)
    if not changed:
        return 0
    earlier = once.earlier_grants(s, pv, {u for _, u, _ in changed})
    # Set aside by another rule (就高不重复): not a version correction's to judge here.
    changed = [c for c in changed if c[1] in earlier]
    now = utcnow()
    events = []
    for record_id, code, old in changed:
        row = now_of[code]
        note = once.refusal(pv, earlier[code], once.receivable(pv, row.amount_fen))
        flagged = once.receivable(pv, row.amount_fen) != earlier[code].amount_fen
        s.execute(
            update(Entitlement)
            .where(Entitlement.id == record_id, *set_aside(pv))
            .values(
                match_status=MatchStatus.ELIGIBLE,
                computed_fen=row.amount_fen,
                explanation=row.ledger,
                snapshot_id=sid,
                last_snapshot_id=sid,
                status_reason=note,
                review_flag=flagged,
                review_reason=note if flagged else None,
                review_criteria=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        events.append(
            {
                "at": now,
                "actor": actor,
                "kind": RecordStatus.EXCLUDED.value,
                "uscc": code,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{record_id}",
                "reason": reasons.SET_ASIDE_AMOUNT_CHANGED(
                    snapshot=sid,
                    amount=yuan_text(row.amount_fen or 0),
                    was=yuan_text(old or 0),
                ),
                "data": {
                    "from_fen": old,
                    "to_fen": row.amount_fen,
                    "snapshot_id": sid,
                    "earlier_grant_id": earlier[code].grant_id,
                },
            }
        )
    record_events(s, events)
    return len(changed)


def close_lost_corrections(
    factory: sessionmaker[Session],
    version_ids: Sequence[int],
    keep: Mapping[int, Container[str]],
    sid: int,
    actor: str,
    *,
    usccs: Sequence[str] | None = None,
) -> int:
    """Close the flags of these versions' set-aside records whose enterprise is not in
    ``keep`` of its version (eligible or in error on snapshot ``sid``); only of ``usccs``
    where given (an incremental delivery's changed enterprises). Returns how many."""
    closed = 0
    with transaction(factory) as s:
        for pv in s.scalars(select(PolicyVersion).where(PolicyVersion.id.in_(list(version_ids)))):
            kept = keep.get(pv.id, ())
            e = Entitlement
            stmt = (
                select(e.id, e.uscc)
                .where(*set_aside(pv), e.review_flag.is_(True))
                .order_by(e.id)
                .with_for_update()
            )
            if usccs is None:
                found = s.execute(stmt).all()
            else:
                found = []
                for start in range(0, len(usccs), CHUNK):
                    part = list(usccs[start : start + CHUNK])
                    found += s.execute(stmt.where(e.uscc.in_(part))).all()
            lost = [(int(i), u) for i, u in found if u not in kept]
            if lost:
                closed += _close(s, pv, lost, sid, actor)
    return closed


def _close(s: Session, pv: PolicyVersion, lost: list[tuple[int, str]], sid: int, actor: str) -> int:
    earlier = once.earlier_grants(s, pv, {u for _, u in lost})
    now = utcnow()
    for record_id, code in lost:
        values: dict[str, object] = {
            # As it is now: the next snapshot that finds it eligible judges it again.
            "match_status": MatchStatus.NOT_ELIGIBLE,
            "review_flag": False,
            "review_reason": None,
            "review_criteria": None,
            "last_snapshot_id": sid,
            "updated_at": now,
        }
        if code in earlier:  # the note no longer says "flagged"
            values["status_reason"] = once.refusal(pv, earlier[code], None)
        else:  # set aside by its exclusivity group: no top-up is due (qa11)
            values["status_reason"] = reasons.GROUP_SET_ASIDE_NO_LONGER_ELIGIBLE(
                id=sid, policy=pv.policy_id, version=pv.version
            )
        s.execute(
            update(Entitlement)
            .where(Entitlement.id == record_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": "review_closed",
                "uscc": code,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{record_id}",
                "reason": (
                    reasons.SET_ASIDE_NO_LONGER_ELIGIBLE
                    if code in earlier
                    else reasons.GROUP_SET_ASIDE_NO_LONGER_ELIGIBLE
                )(id=sid, policy=pv.policy_id, version=pv.version),
                "data": {"snapshot_id": sid},
            }
            for record_id, code in lost
        ],
    )
    return len(lost)
