"""What a version correction (huiqi.delivery.version_fix) shows the enterprise: its
grant's notice, and the "almost" estimate of the policy (SQLite and PostgreSQL).

Regressions (review, session 33): the PDF notice of a correction that pays the difference
on top of money already sent read as a plain award of the difference, without saying what
it corrects (a top-up's notice says so); and the portal's "almost" estimate named only the
base grant as what the enterprise holds under the policy, not the correction on top of it.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_notice import text_of
from test_version_fix import E, _base_grant, _exported, _v1, _v2

from huiqi.accounts.testing import OFFICER, enterprise
from huiqi.delivery.models import Grant
from huiqi.delivery.notice import CorrectionMade, grant_notice
from huiqi.delivery.noticepdf import render_notice
from huiqi.delivery.obtainable import obtainable
from huiqi.delivery.review import resolve_flag


def _flat(pdf: bytes) -> str:
    """The notice's text without white space (its lines wrap anywhere, a space with them)."""
    return re.sub(r"\s", "", text_of(pdf))


def _corrected(sessions: sessionmaker[Session], tmp_path: Path) -> Grant:
    """v1 grants 350,000 yuan, sent; v2 gives 400,000: the reviewer's correction grants the
    50,000 difference."""
    _v1(sessions, tmp_path)
    assert _exported(sessions, tmp_path) == [35_000_000]
    _, ent = _v2(sessions, tmp_path, 400_000, budget=1_000_000)
    resolve_flag(sessions, ent.id, actor=OFFICER, outcome="correct", reason="补差")
    with sessions() as s:
        return s.scalars(select(Grant).where(Grant.corrects_grant_id.is_not(None))).one()


def test_a_corrections_notice_says_what_it_corrects(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    fix = _corrected(sessions, tmp_path)
    base = _base_grant(sessions)
    with sessions() as s:
        notice = grant_notice(s, actor=enterprise(E), grant_id=fix.id)
        plain = grant_notice(s, actor=enterprise(E), grant_id=base)
    assert notice.correction == CorrectionMade(40_000_000, 35_000_000, base, 1)
    assert plain.correction is None
    text = _flat(render_notice(notice))
    assert "更正说明" in text
    assert "第2版金额￥400,000.00元" in text
    assert f"第1版发放￥350,000.00元（授予编号{base}）" in text
    assert "补发差额￥50,000.00元" in text
    assert "更正说明" not in _flat(render_notice(plain))


def test_a_correction_on_a_correction_names_all_that_was_given(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = _corrected(sessions, tmp_path)
    assert _exported(sessions, tmp_path) == [5_000_000]
    _, ent3 = _v2(sessions, tmp_path, 450_000, version=3)
    resolve_flag(sessions, ent3.id, actor=OFFICER, outcome="correct", reason="第三版")
    with sessions() as s:
        second = s.scalars(select(Grant).where(Grant.corrects_grant_id == first.id)).one()
        notice = grant_notice(s, actor=enterprise(E), grant_id=second.id)
    assert notice.correction == CorrectionMade(45_000_000, 40_000_000, first.id, 2)
    assert "补发差额￥50,000.00元" in _flat(render_notice(notice))


def test_almost_names_what_the_enterprise_receives_with_its_corrections(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _corrected(sessions, tmp_path)
    with sessions() as s:
        found = obtainable(s, E, "p", 2, 40_000_000)
    assert found.amount_fen is None and found.held is not None
    assert (found.held.kind, found.held.amount_fen) == ("granted", 40_000_000)
