"""A record set aside by an exclusivity group (就高不重复) follows the newest data.

A policy of a group whose enterprise the group has already paid under another policy
records it ``excluded``, flagged where it gives more, so that a reviewer may decide
*top-up* (:mod:`huiqi.delivery.topup`), which pays the difference between the record's
amount and what the group gave. That amount was the snapshot's that first judged the
record: a later import that changed the enterprise's data, delivered in full or
incrementally, left it as it was, and ``top-up`` paid the old difference (qa11).

So each delivery of a grouped policy also judges its set-aside records again, as
:mod:`huiqi.delivery.covered_refresh` does for a version's: where the enterprise is still
eligible and the amount changed, the record takes the new evaluation (``computed_fen``,
explanation and snapshot together), and its flag says again whether a top-up is due:
flagged while it gives more than the group gave, its question closed when it no longer
does; one ``excluded`` event each. Where the enterprise is no longer eligible, its flag is
closed there (``close_lost_corrections``). A record that holds a grant never changes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from huiqi.delivery import event_reasons as reasons
from huiqi.delivery import once
from huiqi.delivery.audit import record_events
from huiqi.delivery.covered_refresh import changed_set_aside, set_aside
from huiqi.delivery.models import Entitlement, PolicyVersion, utcnow
from huiqi.delivery.statuses import MatchStatus, RecordStatus
from huiqi.delivery.topup_queue import Standing, standings
from huiqi.engine import ResultRow
from huiqi.money import format_yuan as yuan_text


def refresh_group_set_aside(
    s: Session, pv: PolicyVersion, rows: Sequence[ResultRow], sid: int, actor: str
) -> int:
    """Give ``pv``'s records set aside by its group among ``rows`` (this snapshot's results)
    the amount this snapshot gives, where it changed, and judge their top-up flag again;
    return how many changed. In the caller's transaction."""
    group = pv.exclusivity_group
    if not group:
        return 0
    now_of, changed = changed_set_aside(s, pv, rows, sid)
    if changed and once.other_versions_exist(s, pv):
        # Set aside behind an earlier version's grant: covered_refresh judges those.
        earlier = once.earlier_grants(s, pv, {u for _, u, _ in changed})
        changed = [c for c in changed if c[1] not in earlier]
    if not changed:
        return 0
    now = utcnow()
    for record_id, code, _ in changed:
        row = now_of[code]
        s.execute(
            update(Entitlement)
            .where(Entitlement.id == record_id, *set_aside(pv))
            .values(
                match_status=MatchStatus.ELIGIBLE,
                computed_fen=row.amount_fen,
                explanation=row.ledger,
                snapshot_id=sid,
                last_snapshot_id=sid,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    # Where each stands in its group now, two statements per chunk (the top-up preview's).
    stand = standings(s, [i for i, _, _ in changed])
    for record_id, _, _ in changed:
        s.execute(
            update(Entitlement)
            .where(Entitlement.id == record_id)
            .values(**_judged(group, stand.get(record_id)))
            .execution_options(synchronize_session=False)
        )
    record_events(
        s,
        [
            {
                "at": now,
                "actor": actor,
                "kind": RecordStatus.EXCLUDED.value,
                "uscc": code,
                "policy_version_id": pv.id,
                "entity": f"entitlement:{record_id}",
                "reason": reasons.GROUP_SET_ASIDE_AMOUNT_CHANGED(
                    snapshot=sid,
                    amount=yuan_text(now_of[code].amount_fen or 0),
                    was=yuan_text(old or 0),
                ),
                "data": {"from_fen": old, "to_fen": now_of[code].amount_fen, "snapshot_id": sid},
            }
            for record_id, code, old in changed
        ],
    )
    return len(changed)


def _judged(group: str, st: Standing | None) -> dict[str, object]:
    """The record's flag and notes as its standing in the group says (grantmaker's words)."""
    if st is not None and st.difference_fen > 0:
        note = (
            f"就高不重复: group '{group}' has already given this enterprise"
            f" {yuan_text(st.given_fen)} yuan (its latest grant, under {st.holder}, is"
            f" {st.holder_status}); this policy would give {yuan_text(st.due_fen)} yuan —"
            " flagged for an officer to decide: keep it so, or top up the difference"
        )
        return {"review_flag": True, "review_reason": note, "status_reason": note}
    values: dict[str, object] = {"review_flag": False, "review_reason": None}
    if st is not None and st.due_fen <= st.given_fen:
        values["status_reason"] = (
            f"就高不重复: group '{group}' gives this enterprise {yuan_text(st.given_fen)} yuan"
            f" under {st.holder}; this policy's {yuan_text(st.due_fen)} yuan is not higher"
        )
    return values
