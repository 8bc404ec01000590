"""A grant's explanation is stored once, in its delivery record: every reader (the notice,
recompute, the disbursement file, pro-rata allocation) finds it through the grant."""

from __future__ import annotations

import csv
from pathlib import Path

import factories as make
import helpers as h
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN, FINANCE, OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import sharing
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.explanations import of_grant
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.notice import grant_notice
from huiqi.delivery.publish import publish


def test_bulk_and_single_grants_refer_to_their_records_explanation(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings_, _ = h.numbered_store(tmp_path / "data", 5)
    publish(
        settings_,
        sessions,
        h.policy_yaml("once", budget=10**10),
        actor=OFFICER,
        filename="once.yaml",
        chunk=3,
    )
    with sessions() as s:
        pairs = s.execute(
            select(Grant, Entitlement).join(Entitlement, Entitlement.id == Grant.entitlement_id)
        ).all()
        stored = s.execute(text("SELECT explanation FROM grants")).scalars().all()
        assert len(pairs) == 5
        for g, ent in pairs:
            assert g.explanation is None
            assert of_grant(s, g) == ent.explanation
            assert ent.explanation["criteria"]
        # Stored as JSON null, not a copy of the trace.
        assert all(v in (None, "null") for v in stored)
        notice = grant_notice(s, actor=ADMIN, grant_id=pairs[0][0].id)
    assert notice.basis  # the criteria met, read from the record's explanation


def test_the_disbursement_file_names_the_enterprise_from_the_record(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as s:
        pv = make.policy_version(s)
        g = make.grant(s, pv, requested_fen=500, name="记录里的企业")
        g.explanation = None  # the record's
    with transaction(sessions) as s:
        batch = export_batch(s, out_dir=tmp_path, actor=FINANCE)
        assert batch.csv_path is not None
    with Path(batch.csv_path).open(encoding="utf-8-sig", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["enterprise_name"] == "记录里的企业"


def test_allocation_writes_its_note_into_the_grants_own_explanation(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as s:
        pv = make.policy_version(s, budget_fen=100, budget_mode="pro_rata")
        g = make.grant(s, pv, requested_fen=300, status="provisional", name="甲")
        g.explanation = None
        pv_id, grant_id, ent_id = pv.id, g.id, g.entitlement_id
    with transaction(sessions) as s:
        sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)
    with sessions() as s:
        grant = s.get(Grant, grant_id)
        ent = s.get(Entitlement, ent_id)
        assert grant is not None and ent is not None
        assert grant.explanation is not None
        assert grant.explanation["name"] == "甲"
        assert grant.explanation["allocation"]["allocated_fen"] == 100
        assert "allocation" not in ent.explanation  # the record's stays as it was made
