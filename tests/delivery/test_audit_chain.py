"""The audit log's hash chain: every event links to the one before, and `audit verify`
names the first event changed or removed behind the database's back."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import transaction
from huiqi.db.migrate import upgrade
from huiqi.db.testing import fresh_database
from huiqi.delivery.audit import GENESIS, chain_of, record_event, savepoint, verify_chain
from huiqi.delivery.models import AuditHead, Event


def _record(
    factory: sessionmaker[Session], n: int, *, actor: str = "tester", uscc: str | None = None
) -> None:
    with transaction(factory) as s:
        for i in range(n):
            record_event(
                s,
                actor=actor,
                kind="test",
                uscc=uscc,
                reason=f"event {i}",
                data={"i": i, "名": "值"},
            )


def _without_guard(engine: Engine, sql: str) -> None:
    """Change the log as a database superuser could: drop the append-only trigger first."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER events_no_update"))
            conn.execute(text("DROP TRIGGER events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
        conn.execute(text(sql))


def test_events_form_an_unbroken_chain(sessions: sessionmaker[Session]) -> None:
    _record(sessions, 3)
    _record(sessions, 2, actor="other")
    with sessions() as s:
        events = list(s.scalars(select(Event).order_by(Event.seq)))
        report = verify_chain(s)
        head = s.get(AuditHead, 0)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert report.ok and report.checked == 5
    assert head is not None and head.seq == 5


def test_the_database_refuses_updates_to_events(sessions: sessionmaker[Session]) -> None:
    _record(sessions, 1)
    with pytest.raises(Exception, match="append-only"), transaction(sessions) as s:
        s.execute(text("UPDATE events SET reason = 'changed'"))


def test_verify_names_a_changed_event(engine: Engine, sessions: sessionmaker[Session]) -> None:
    _record(sessions, 4)
    _without_guard(engine, "UPDATE events SET reason = 'nothing happened' WHERE seq = 3")
    with sessions() as s:
        report = verify_chain(s)
    assert not report.ok and report.broken_seq == 3
    assert "was changed after it was written" in (report.problem or "")


def test_verify_names_a_removed_event(engine: Engine, sessions: sessionmaker[Session]) -> None:
    _record(sessions, 4)
    _without_guard(engine, "DELETE FROM events WHERE seq = 2")
    with sessions() as s:
        report = verify_chain(s)
    assert not report.ok and report.broken_seq == 2 and "missing" in (report.problem or "")


def test_verify_notices_the_newest_events_removed(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    _record(sessions, 3)
    _without_guard(engine, "DELETE FROM events WHERE seq = 3")
    with sessions() as s:
        report = verify_chain(s)
    assert not report.ok and "events were removed" in (report.problem or "")


def test_rolled_back_work_leaves_no_event_and_no_gap(sessions: sessionmaker[Session]) -> None:
    _record(sessions, 1)
    with pytest.raises(RuntimeError), transaction(sessions) as s:
        record_event(s, actor="t", kind="lost")
        raise RuntimeError("fail after recording")
    with transaction(sessions) as s:
        record_event(s, actor="t", kind="kept")
        with pytest.raises(RuntimeError), savepoint(s):
            record_event(s, actor="t", kind="lost_in_savepoint")
            raise RuntimeError("savepoint fails")
    _record(sessions, 1)
    with sessions() as s:
        kinds = list(s.scalars(select(Event.kind).order_by(Event.seq)))
        assert verify_chain(s).ok
    assert kinds == ["test", "kept", "test"]


def test_concurrent_writers_keep_one_chain(engine: Engine, sessions: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for i in range(5):
                _record(sessions, 3, actor=f"w{k}", uscc=f"9131011{k}MA{i:08d}")
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with sessions() as s:
        report = verify_chain(s)
    assert report.ok and report.checked == 6 * 5 * 3


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_a_ledger_chains_its_old_events_and_keeps_its_users(
    backend: str, tmp_path: Path
) -> None:
    from huiqi.db.testing import postgres_server_url

    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip("PostgreSQL tests need HUIQI_TEST_DATABASE_URL")
    with fresh_database(backend, tmp_path, revision="0001") as eng:
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (username, role, uscc, created_at) VALUES"
                    " ('officer', 'policy_officer', NULL, '2026-01-01'),"
                    " ('ent', 'enterprise', '91310115MA1000001X', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO events (at, actor, kind, reason) VALUES"
                    " ('2026-01-02 03:04:05.123456', 'officer', 'publish', 'old one'),"
                    " ('2026-01-02 03:04:06', 'system', 'grant', 'old two')"
                )
            )
        upgrade(eng)
        factory = sessionmaker(eng)
        with factory() as s:
            report = verify_chain(s)
            roles = s.execute(
                text(
                    "SELECT u.username, r.role, r.scope FROM users u JOIN user_roles r"
                    " ON r.user_id = u.id ORDER BY u.username, r.role"
                )
            ).all()
        assert report.ok and report.checked == 2
        assert [tuple(r) for r in roles] == [
            ("ent", "enterprise", "91310115MA1000001X"),
            ("officer", "policy_author", "*"),
            ("officer", "policy_publisher", "*"),
            ("officer", "policy_reviewer", "*"),
        ]
        _record(factory, 1)
        with factory() as s:
            assert verify_chain(s).checked == 3


def test_enterprises_spread_over_chains_and_each_is_verified(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    codes = [f"91310115MA{i:08d}" for i in range(40)]
    for code in codes:
        _record(sessions, 2, uscc=code)
    _record(sessions, 1)
    with sessions() as s:
        chains = set(s.scalars(select(Event.chain)))
        assert verify_chain(s).checked == 81
        victim = s.scalar(select(Event).where(Event.uscc == codes[7], Event.seq == 1))
    assert victim is not None and len(chains) > 8 and chain_of(codes[7]) == victim.chain
    _without_guard(engine, f"UPDATE events SET reason = 'x' WHERE id = {victim.id}")
    with sessions() as s:
        report = verify_chain(s)
    assert not report.ok and f"chain {victim.chain}: event {victim.id}" in (report.problem or "")
