"""The flagged-records queue's top-ups (huiqi.delivery.topup_queue): the same answers as
``topup.top_up_due`` record by record, in a bounded number of statements whatever the
page's size (SQLite and PostgreSQL).

Regression (qa7): the officer console's flagged records asked each row's top-up on its
own, some six statements a row, where the corrections beside them were already asked
set-based (huiqi.delivery.correction_queue)."""

from __future__ import annotations

from pathlib import Path

from helpers import build_store, policy_yaml, uscc
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from test_correction_queue import _all_rows, _statements
from test_topup import publish, sent_for_payment

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.models import Entitlement, PolicyVersion
from huiqi.delivery.review import resolve_flag
from huiqi.delivery.topup import top_up_due
from huiqi.delivery.topup_queue import top_ups

A, B, C, D, E = (uscc(i) for i in range(1, 6))


def _one_by_one(s: Session, rows: list[tuple[int, str]]) -> dict[int, int]:
    """The queue's top-ups asked record by record (what the queue did before)."""
    found = {}
    for record_id, status in rows:
        if status != "excluded":
            continue
        ent = s.get(Entitlement, record_id)
        assert ent is not None
        pv = s.get(PolicyVersion, ent.policy_version_id)
        assert pv is not None
        due = top_up_due(s, ent, pv)
        if due is not None:
            found[record_id] = due.difference_fen
    return found


def _record_of(sessions: sessionmaker[Session], pv: PolicyVersion, code: str) -> int:
    with sessions() as s:
        return s.scalars(
            select(Entitlement.id).where(
                Entitlement.policy_version_id == pv.id, Entitlement.uscc == code
            )
        ).one()


def test_the_queue_gives_what_each_record_would(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = {A: 2, B: 5, C: 3, D: 4}
    settings, _ = build_store(tmp_path, first)
    publish(settings, sessions, policy_yaml("low", exclusivity_group="g"))
    sent_for_payment(sessions, tmp_path)  # A, B, C and D's lower grants have left
    build_store(tmp_path, {**first, E: 2})
    publish(settings, sessions, policy_yaml("low", exclusivity_group="g"))  # E: not sent
    # 4,500 yuan each: above A, C and D's grants, below B's; E's is superseded.
    high = publish(settings, sessions, policy_yaml("high", formula="4500", exclusivity_group="g"))
    resolve_flag(
        sessions, _record_of(sessions, high, A), actor=OFFICER, outcome="top-up", reason="补差"
    )
    # A later version of the lower policy: its records wait behind v1's grants (a
    # correction's question, never a top-up's).
    publish(
        settings, sessions, policy_yaml("low", version=2, per_person=1100, exclusivity_group="g")
    )
    # A third policy: A compares with the grant and the top-up on it.
    publish(settings, sessions, policy_yaml("top", formula="6000", exclusivity_group="g"))

    with sessions() as s:
        rows = _all_rows(s)
        expected = _one_by_one(s, rows)
    with sessions() as s:
        assert top_ups(s, rows) == expected
    excluded = [i for i, st in rows if st == "excluded"]
    assert 4 <= len(expected) < len(excluded)  # answers and refusals both
    assert {150_000, 100_000, 50_000} <= set(expected.values())  # A (after its top-up), B, D


def test_a_page_of_flags_takes_two_statements_whatever_its_size(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(i): 2 + i % 3 for i in range(60)})
    publish(settings, sessions, policy_yaml("low", exclusivity_group="g"))
    sent_for_payment(sessions, tmp_path)
    publish(settings, sessions, policy_yaml("high", per_person=3000, exclusivity_group="g"))
    with sessions() as s:
        flagged = [
            (int(i), st)
            for i, st in s.execute(
                select(Entitlement.id, Entitlement.status)
                .where(Entitlement.review_flag)
                .order_by(Entitlement.id)
            )
        ]
    assert len(flagged) == 60
    counted = {}
    for size in (5, 50):
        with sessions() as s, _statements(engine) as sent:
            assert len(top_ups(s, flagged[:size])) == size
        counted[size] = len(sent)
    assert counted == {5: 2, 50: 2}
