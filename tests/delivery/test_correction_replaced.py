"""A version correction on a replaced version's record (SQLite and PostgreSQL).

Regression (qa13): p v1 granted 2,000 yuan (exported); p v2 (3,000 a person: 6,000) set
its record aside, flagged for a correction. p v3 was published, not delivered; an import
gave the enterprise 1 insured (3,000 yuan: 1,000 over the 2,000 paid). Only the newest
version's records are judged again, so v2's record kept 6,000 yuan and ``correct`` granted
and exported the old 4,000 difference. A correction now waits for the newest version:
delivered, its own record asks at the newest amount."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store
from test_topup import publish, sent_for_payment
from test_version_fix import E, _exported

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.config import get_settings
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.delivery.versions import publish_text


def test_a_replaced_versions_record_is_not_corrected(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {E: 2})
    publish(settings, sessions, policy_yaml("p", per_person=1000))
    sent_for_payment(sessions, tmp_path)
    v2 = publish(settings, sessions, policy_yaml("p", per_person=3000, version=2))
    with sessions() as s:
        ent = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == v2.id)).one()
    assert ent.review_flag and ent.computed_fen == 600_000
    v3, _ = publish_text(
        sessions, policy_yaml("p", per_person=3000, version=3), "p.yaml", actor=OFFICER
    )
    change_store(tmp_path, {E: 1})
    deliver_changes(get_settings(tmp_path), sessions, actor=SCHEDULER)
    with pytest.raises(ReviewConflict, match="p v3 is published and delivers instead"):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="更正")
    assert _exported(sessions, tmp_path) == []
    deliver(get_settings(tmp_path), sessions, v3.id, actor=OFFICER)
    with sessions() as s:
        new = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == v3.id)).one()
    assert new.computed_fen == 300_000 and new.review_flag
    resolve_flag(sessions, new.id, actor=OFFICER, outcome="correct", reason="更正")
    assert _exported(sessions, tmp_path) == [100_000]
