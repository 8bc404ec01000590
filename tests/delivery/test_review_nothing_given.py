"""Withdrawing a flagged record that gave the enterprise nothing (qa8): a new version with a
higher amount is excluded behind the earlier version's grant and flagged; withdrawing it
told the reviewer to recover the record "through the department's procedure", though
nothing was ever given under it."""

from __future__ import annotations

from pathlib import Path

from helpers import build_store, policy_yaml
from sqlalchemy.orm import Session, sessionmaker
from test_topup import A, publish, record

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.review import resolve_flag


def test_withdrawing_an_excluded_record_says_there_is_nothing_to_recover(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {A: 2})
    publish(settings, sessions, policy_yaml("ver-up", per_person=1000))
    second = publish(settings, sessions, policy_yaml("ver-up", per_person=2000, version=2))
    flagged = record(sessions, second)
    assert flagged.status == "excluded" and flagged.review_flag
    decided = resolve_flag(
        sessions, flagged.id, actor=OFFICER, outcome="withdraw", reason="旧版已兑现"
    )
    assert "gave the enterprise nothing" in decided.message
    assert "recover it" not in decided.message
    after = record(sessions, second)
    assert not after.review_flag and after.review_reason == decided.message
