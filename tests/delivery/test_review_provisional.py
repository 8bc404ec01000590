"""A reviewer's withdrawal of a provisional grant (a budget shared pro rata, not yet
allocated), on SQLite and PostgreSQL.

Regression (review, qa6): a provisional grant has never left for payment, but the
withdrawal read any status other than ``granted`` as money sent: the decision was recorded
as "not revoked by huiqi, recover it", the enterprise was told the department would be in
touch about money already paid, and the grant stayed provisional, so the allocation shared
the budget with it and the next export paid it."""

from __future__ import annotations

from pathlib import Path

from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import FINANCE, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.models import BatchItem, Entitlement, Grant
from huiqi.delivery.publish import deliver, publish_text
from huiqi.delivery.review import resolve_flag
from huiqi.delivery.sharing import allocate_pro_rata


def test_a_withdrawn_provisional_grant_is_never_allocated_nor_paid(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 2, b: 2})
    text = policy_yaml("shared", budget=3_000, budget_mode="pro_rata", cap_group="cg", cap=5_000)
    pv, _ = publish_text(sessions, text, "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    build_store(tmp_path, {a: 0, b: 2})  # a no longer qualifies: flagged
    assert deliver(settings, sessions, pv.id, actor=OFFICER).flagged == 1
    with sessions() as s:
        record = s.scalars(select(Entitlement).where(Entitlement.uscc == a)).one()
        assert record.status == "pending_allocation"
    decided = resolve_flag(sessions, record.id, actor=OFFICER, outcome="withdraw", reason="失信")
    assert decided.status == "withdrawn", decided.message
    assert "not revoked" not in decided.message
    with transaction(sessions) as s:
        allocate_pro_rata(s, pv.id, actor=OFFICER)
    with sessions() as s:
        grants = {g.uscc: (g.status, g.amount_fen) for g in s.scalars(select(Grant))}
    # b alone shares the 3,000 yuan: its 2,000 yuan in full; a's grant is withdrawn.
    assert grants == {a: ("withdrawn", 200_000), b: ("granted", 200_000)}
    with transaction(sessions) as s:
        batch = export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
        paid = set(
            s.scalars(select(Grant.uscc).join(BatchItem).where(BatchItem.batch_id == batch.id))
        )
    assert paid == {b}


def test_a_provisional_grant_superseded_by_a_higher_policy_leaves_the_rest_allocatable(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """就高不重复 supersedes a provisional grant under a higher policy of the group: the
    allocation of the lower policy then shares its budget among the others, where it read
    the superseded grant as allocated already and refused."""
    a, b = uscc(1), uscc(2)
    settings, _ = build_store(tmp_path, {a: 2, b: 2})
    low = policy_yaml("shared", budget=3_000, budget_mode="pro_rata", exclusivity_group="g")
    pv, _ = publish_text(sessions, low, "p.yaml", actor=OFFICER)
    deliver(settings, sessions, pv.id, actor=OFFICER)
    build_store(tmp_path, {a: 2})
    high, _ = publish_text(
        sessions,
        policy_yaml("high", formula="5000", exclusivity_group="g"),
        "q.yaml",
        actor=OFFICER,
    )
    deliver(settings, sessions, high.id, actor=OFFICER)
    with sessions() as s:
        assert (
            s.scalars(
                select(Grant.status).where(Grant.uscc == a, Grant.policy_version_id == pv.id)
            ).one()
            == "superseded"
        )
    with transaction(sessions) as s:
        allocate_pro_rata(s, pv.id, actor=OFFICER)
    with sessions() as s:
        got = s.scalars(
            select(Grant.status).where(Grant.uscc == b, Grant.policy_version_id == pv.id)
        ).one()
    assert got == "granted"
