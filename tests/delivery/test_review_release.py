"""A grant a reviewer withdraws before it is sent for payment gives back what it held.

Regression (QA, session 39): after 'huiqi review withdraw', the grant stayed ``granted``
(only kept out of exports): its 17,500 yuan stayed committed against the budget, it kept
its cap group's share and its exclusivity slot, and version 2 of the policy *excluded* the
enterprise ("already granted … under v1"), with money that would never be paid.
"""

from __future__ import annotations

from pathlib import Path

from helpers import build_store, committed, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import FINANCE, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.models import BatchItem, CapUsage, Entitlement, ExclusivitySlot, Grant
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.review import resolve_flag


def _publish(settings, factory, text: str):  # type: ignore[no-untyped-def]
    pv, _ = publish_text(factory, text, "p.yaml", actor=OFFICER)
    return pv, deliver(settings, factory, pv.id, actor=OFFICER)


def _grants(factory: sessionmaker[Session]) -> dict[tuple[str, int], tuple[str, int]]:
    """(USCC, version id) → (status, amount in fen) of every grant."""
    with factory() as s:
        rows = s.execute(
            select(Grant.uscc, Grant.policy_version_id, Grant.status, Grant.amount_fen)
        )
        return {(u, v): (st, a) for u, v, st, a in rows}


def test_a_withdrawn_grant_gives_back_budget_cap_and_group_and_v2_may_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 2, b: 1})
    held = {"budget": 100_000, "cap": 5_000, "cap_group": "cg", "exclusivity_group": "eg"}
    pv, _ = _publish(settings, sessions, policy_yaml("back", **held))  # type: ignore[arg-type]
    assert committed(sessions, pv.id) == 300_000  # 2,000 + 1,000 yuan
    build_store(tmp_path, {a: 0, b: 1})  # a no longer qualifies: flagged
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
    with sessions() as s:
        record = s.scalars(select(Entitlement).where(Entitlement.uscc == a)).one()
    decided = resolve_flag(sessions, record.id, actor=OFFICER, outcome="withdraw", reason="失信")
    assert decided.status == "withdrawn" and "never sent for payment" in decided.message

    assert _grants(sessions)[(a, pv.id)] == ("withdrawn", 200_000)
    assert committed(sessions, pv.id) == 100_000  # b's grant alone
    with sessions() as s:
        used = s.scalar(select(CapUsage.used_fen).where(CapUsage.uscc == a))
        slots = s.scalars(select(ExclusivitySlot.uscc)).all()
    assert used == 0 and slots == [b]
    with transaction(sessions) as s:  # never paid
        batch = export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        exported = set(s.scalars(select(BatchItem.grant_id).where(BatchItem.batch_id == batch.id)))
    with sessions() as s:
        ids = {
            g.uscc: g.id for g in s.scalars(select(Grant).where(Grant.policy_version_id == pv.id))
        }
    assert exported == {ids[b]}

    # a qualifies again, and version 2 grants it: the withdrawn grant does not count.
    build_store(tmp_path, {a: 3, b: 1})
    v2, _ = _publish(
        settings,
        sessions,
        policy_yaml("back", version=2, per_person=1_100, **held),  # type: ignore[arg-type]
    )
    assert _grants(sessions)[(a, v2.id)] == ("granted", 330_000)
    assert (b, v2.id) not in _grants(sessions)  # b keeps its one grant of the period (v1)
    assert committed(sessions, v2.id) == 330_000
    with sessions() as s:
        assert s.scalar(select(ExclusivitySlot.uscc).where(ExclusivitySlot.uscc == a)) == a
