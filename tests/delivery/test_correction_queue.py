"""The flagged-records queue's corrections (huiqi.delivery.correction_queue): the same
answers as ``version_fix.correction_due`` record by record, in a bounded number of
statements whatever the page's size (SQLite and PostgreSQL).

Regression (qa1): the officer console's flagged records asked each row's correction on
its own, some six statements a row: a page of 500 flags sent about 3,000 statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers import build_store, policy_yaml, uscc
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from test_topup import publish
from test_version_fix import _exported

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.correction_queue import corrections
from huiqi.delivery.models import Entitlement, PolicyVersion
from huiqi.delivery.review import resolve_flag
from huiqi.delivery.version_fix import Correction, correction_due

# Insured staff, so v1 (1,000 yuan a person) gives 8,000, 9,000 or 10,000 yuan.
A, B, C, X, U, W = (uscc(i) for i in range(1, 7))


def _one_by_one(s: Session, rows: list[tuple[int, str]]) -> dict[int, Correction]:
    """The queue's corrections asked record by record (what the queue did before)."""
    found = {}
    for record_id, _ in rows:
        ent = s.get(Entitlement, record_id)
        assert ent is not None
        pv = s.get(PolicyVersion, ent.policy_version_id)
        assert pv is not None
        due = correction_due(s, ent, pv)
        if due is not None:
            found[record_id] = due
    return found


def _all_rows(s: Session) -> list[tuple[int, str]]:
    return [(int(i), st) for i, st in s.execute(select(Entitlement.id, Entitlement.status))]


def test_the_queue_gives_what_each_record_would(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = {A: 8, B: 10, C: 9, X: 8}
    settings, _ = build_store(tmp_path, first)
    v1 = publish(settings, sessions, policy_yaml("p"))
    assert len(_exported(sessions, tmp_path)) == 4  # A, B, C and X's grants are sent
    build_store(tmp_path, {**first, U: 8, W: 10})
    publish(settings, sessions, policy_yaml("p"))  # v1 again: U and W, not sent
    v2 = publish(settings, sessions, policy_yaml("p", version=2, formula="9000"))
    with sessions() as s:
        x2 = s.scalars(
            select(Entitlement.id).where(
                Entitlement.policy_version_id == v2.id, Entitlement.uscc == X
            )
        ).one()
    resolve_flag(sessions, x2, actor=OFFICER, outcome="correct", reason="补差")
    publish(settings, sessions, policy_yaml("p", version=3, formula="9500"))

    with sessions() as s:
        rows = _all_rows(s)
        expected = _one_by_one(s, rows)
    with sessions() as s:
        assert corrections(s, rows) == expected
    # Every kind of answer is in it: money sent or not, refused, a chain with a correction.
    shown = {(c.sent, c.refused, c.earlier) for c in expected.values()}
    assert {(True, False, "p v1"), (True, True, "p v1"), (False, False, "p v1")} <= shown
    assert (True, False, "p v2") in shown  # X: v1's grant and v2's correction on top
    assert any(c.given_fen == 900_000 and c.due_fen == 950_000 for c in expected.values())
    assert v1.id != v2.id


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN"):  # SQLite's own transaction start
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_page_of_flags_takes_three_statements_whatever_its_size(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings, _ = build_store(tmp_path, {uscc(i): 8 + i % 3 for i in range(60)})
    publish(settings, sessions, policy_yaml("p"))
    publish(settings, sessions, policy_yaml("p", version=2, formula="9500"))
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
            assert len(corrections(s, flagged[:size])) == size
        counted[size] = len(sent)
    assert counted == {5: 3, 50: 3}
