"""A bulk chunk's grants and exclusivity slots are derived from its records in SQL: the
capped amount, the requested amount, the slots, and only the chunk's own records."""

from __future__ import annotations

from pathlib import Path

import helpers as h
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN, OFFICER
from huiqi.delivery import service as ledger
from huiqi.delivery.models import Entitlement, ExclusivitySlot, Grant
from huiqi.delivery.publish import publish


def test_derived_grants_are_capped_and_take_their_slots(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # 1,000 yuan per insured person, 1 to 3 insured: capped at 2,500 yuan.
    settings_, _ = h.numbered_store(tmp_path / "data", 12)
    text = h.policy_yaml("derived", cap=2500, exclusivity_group="derive-group")
    pv, rep = publish(settings_, sessions, text, actor=OFFICER, filename="d.yaml", chunk=5)
    assert rep.granted == 12
    with sessions() as s:
        rows = s.execute(
            select(Entitlement.computed_fen, Entitlement.status, Grant, ExclusivitySlot.amount_fen)
            .join(Grant, Grant.entitlement_id == Entitlement.id)
            .join(ExclusivitySlot, ExclusivitySlot.entitlement_id == Entitlement.id)
        ).all()
        assert ledger.verify_audit(s, actor=ADMIN).ok
    assert len(rows) == 12
    for computed, status, grant, slot_fen in rows:
        assert status == "granted"
        assert grant.requested_fen == computed
        assert grant.amount_fen == slot_fen == min(computed, 250_000)
        assert grant.policy_version_id == pv.id and grant.explanation is None
    assert {r[2].amount_fen for r in rows} == {100_000, 200_000, 250_000}


def test_a_second_publish_derives_grants_only_for_its_new_records(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    text = h.policy_yaml("twice", budget=10**10)
    settings_, _ = h.numbered_store(tmp_path / "a", 6)
    publish(settings_, sessions, text, actor=OFFICER, filename="t.yaml", chunk=4)
    more, _ = h.numbered_store(tmp_path / "b", 10)  # the same 6 and 4 new enterprises
    _, rep = publish(more, sessions, text, actor=OFFICER, filename="t.yaml", chunk=4)
    assert (rep.new_records, rep.granted) == (4, 4)
    with sessions() as s:
        per_record = s.execute(
            select(Grant.entitlement_id, Grant.uscc).order_by(Grant.entitlement_id)
        ).all()
        assert ledger.verify_audit(s, actor=ADMIN).ok
    assert len(per_record) == len({e for e, _ in per_record}) == 10
