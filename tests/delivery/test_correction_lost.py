"""A version correction waits while the earlier grant it would replace or top up is
flagged as no longer eligible (huiqi.delivery.version_fix), on SQLite and PostgreSQL.

Regression (qa1): version 1 granted E 8,000 yuan; version 2 gives 9,600 and E's record
under it was excluded and flagged for a correction. An import then made E fail the
policy: the delivery flagged E's version 1 grant (earlier_flags), but version 2's
excluded record kept its correction flag. A reviewer's ``correct`` on it superseded the
flagged grant and granted 9,600 yuan, unflagged, and the next export paid an enterprise
the newest data found no longer eligible. The decision on the earlier grant's flag comes
first: kept, the correction is made; withdrawn, there is nothing to correct.

Since qa7 the same delivery also closes version 2's correction flag (the newest data do
not make E eligible: nothing is due, huiqi.delivery.covered_refresh); the question comes
back when a later import makes E eligible again, with the amount that import gives, while
the earlier grant's flag may still be open."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store, policy_yaml, uscc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_incremental import change_store
from test_topup import publish
from test_version_fix import _exported

from huiqi.accounts.testing import OFFICER, SCHEDULER
from huiqi.delivery.incremental import deliver_changes
from huiqi.delivery.models import Entitlement, PolicyVersion
from huiqi.delivery.review import ReviewConflict, resolve_flag

E = uscc(1)


def _record(sessions: sessionmaker[Session], pv: PolicyVersion) -> Entitlement:
    with sessions() as s:
        return s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv.id)).one()


def _lost_after_v2(
    sessions: sessionmaker[Session], tmp_path: Path
) -> tuple[Entitlement, Entitlement]:
    settings, _ = build_store(tmp_path, {E: 8})
    v1 = publish(settings, sessions, policy_yaml("p"))
    v2 = publish(settings, sessions, policy_yaml("p", version=2, per_person=1200))
    change_store(tmp_path, {E: 0})
    assert deliver_changes(settings, sessions, actor=SCHEDULER).flagged == 1
    held, fix = _record(sessions, v1), _record(sessions, v2)
    assert held.review_flag and held.status == "granted"
    assert not fix.review_flag and fix.status == "excluded"  # nothing due on these data
    change_store(tmp_path, {E: 10})  # eligible again: v2 gives 12,000 yuan
    deliver_changes(settings, sessions, actor=SCHEDULER)
    held, fix = _record(sessions, v1), _record(sessions, v2)
    assert held.review_flag  # still waiting for its decision
    assert fix.review_flag and fix.computed_fen == 1_200_000
    return held, fix


def test_a_correction_waits_for_the_earlier_grants_flag(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    held, fix = _lost_after_v2(sessions, tmp_path)
    with pytest.raises(ReviewConflict) as refused:
        resolve_flag(sessions, fix.id, actor=OFFICER, outcome="correct", reason="新版本金额")
    said = str(refused.value)
    assert said == (
        f"record {fix.id}: the earlier grant it would correct (record {held.id}) is flagged"
        " for review; decide that flag first: keep it, then correct this record, or"
        " withdraw it"
    )
    assert _record(sessions, _pv(sessions, fix)).review_flag
    assert _exported(sessions, tmp_path) == []  # nothing granted, the flagged grant waits
    # Kept by the officer (still eligible after all), the correction is made.
    resolve_flag(sessions, held.id, actor=OFFICER, outcome="keep", reason="已核实")
    done = resolve_flag(sessions, fix.id, actor=OFFICER, outcome="correct", reason="新版本金额")
    assert done.status == "granted"
    assert _exported(sessions, tmp_path) == [1_200_000]


def _pv(sessions: sessionmaker[Session], ent: Entitlement) -> PolicyVersion:
    with sessions() as s:
        pv = s.get(PolicyVersion, ent.policy_version_id)
        assert pv is not None
        return pv
