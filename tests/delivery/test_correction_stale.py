"""A version correction while the grant it corrects is flagged, on SQLite and PostgreSQL.

Regression (review, qa6): v1 paid 350,000 yuan; v2 (400,000) excluded the enterprise
behind it, flagged for a correction. A later snapshot made the enterprise fail the policy:
v2's delivery flagged v1's record (earlier_flags), so its grant waits for a reviewer. The
correction still read v2's amount as of the earlier snapshot and granted the 50,000
difference on v2's record, unflagged, and the next export paid it to an enterprise the
latest data no longer made eligible. The correction now waits for the earlier record's
flag to be decided."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_store
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_version_fix import INSURED, E, _exported, _live, _v1, _v2

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.publish import deliver
from huiqi.delivery.review import ReviewConflict, resolve_flag
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def test_a_correction_waits_for_the_flag_on_the_grant_it_corrects(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _v1(sessions, tmp_path)
    assert _exported(sessions, tmp_path) == [35_000_000]
    v2, ent = _v2(sessions, tmp_path, 400_000)
    settings, _ = build_store(tmp_path, {E: 0})  # no longer eligible
    assert deliver(settings, sessions, v2.id, actor=OFFICER).flagged == 1
    with sessions() as s:
        base = s.scalars(select(Grant).where(Grant.uscc == E)).one()
        earlier = s.get(Entitlement, base.entitlement_id)
        assert earlier is not None and earlier.review_flag
    # The newest data make v2's record not eligible (covered_refresh): nothing to correct.
    with pytest.raises(ReviewConflict, match=rf"record {ent.id} is not flagged for review"):
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    assert _live(sessions) == [(1, 35_000_000, "in_batch", None)]
    assert _exported(sessions, tmp_path) == []
    # A later snapshot makes it eligible again: v2's record asks for its correction again,
    # which waits while the earlier grant's own flag is undecided.
    settings, _ = build_store(tmp_path, {E: INSURED})
    deliver(settings, sessions, v2.id, actor=OFFICER)
    with pytest.raises(
        ReviewConflict, match=rf"\(record {earlier.id}\) is flagged for review"
    ) as no:
        resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    zh = localise(translations("zh-CN"), str(no.value))
    assert "已被标记待复核" in zh and "flagged" not in zh, zh
    assert _exported(sessions, tmp_path) == []
    # The reviewer finds the enterprise still qualifies: the earlier record kept, the
    # correction may be decided.
    resolve_flag(sessions, earlier.id, actor=OFFICER, outcome="keep", reason="数据有误")
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    assert _exported(sessions, tmp_path) == [5_000_000]
