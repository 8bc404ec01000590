"""The audit log's reading (``delivery.service.audit_log``): by actor, and a grant named
with digits that are not ASCII, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN
from huiqi.db.engine import transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.audit import record_event


def _record(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        for i, actor in enumerate(["ann", "bob", "ann", "cai"]):
            record_event(s, actor=actor, kind="test", entity=f"grant:{i + 1}", reason=str(i))


def test_the_log_keeps_the_events_of_one_actor_newest_first(
    sessions: sessionmaker[Session],
) -> None:
    _record(sessions)
    with sessions() as s:
        rows = ledger.audit_log(s, actor=ADMIN, by="ann")
        assert [(e.actor, e.reason) for e in rows] == [("ann", "2"), ("ann", "0")]
        older = ledger.audit_log(s, actor=ADMIN, by="ann", before_id=rows[0].id)
        assert [e.reason for e in older] == ["0"]
        assert ledger.audit_log(s, actor=ADMIN, by="nobody") == []


@pytest.mark.parametrize("entity", ["grant:²", "grant:٣", "grant:" + "9" * 40])
def test_a_grant_named_with_odd_digits_finds_nothing(
    sessions: sessionmaker[Session], entity: str
) -> None:
    """Regression: 'grant:²' passed str.isdigit() and int('²') raised ValueError (a crash of
    'huiqi audit log --entity'); forty digits overflowed SQLite's integer."""
    _record(sessions)
    with sessions() as s:
        assert ledger.audit_log(s, actor=ADMIN, entity=entity) == []
