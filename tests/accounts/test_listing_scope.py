"""What each role sees in a listing: its own enterprise, its park, its district's policies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.db.engine import reading_connection, transaction
from huiqi.delivery import service as ledger
from huiqi.delivery.models import DirectoryEntry
from huiqi.profiles.uscc import make

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from factories import entitlement, policy_version

A, B = make("91310115MA1000001"), make("91310104MA1000002")


def _seed(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        for region, code, park in [("310115", A, "园区甲"), ("310104", B, "园区乙")]:
            pv = policy_version(
                s,
                policy_id=f"p{region}",
                title_zh="t",
                delivery="confirm",
                region=region,
                department="测试局",
                published_by="seed",
            )
            entitlement(
                s,
                pv,
                code=code,
                status="offered",
                computed_fen=100,
                mode="confirm",
                explanation={"criteria": []},
            )
            s.add(DirectoryEntry(uscc=code, district_code=region, park=park, snapshot_id=1))


def _seen(factory: sessionmaker[Session], actor: Actor) -> list[str]:
    with transaction(factory) as s:
        return [r.uscc for r in ledger.list_records(s, actor=actor)]


def test_each_role_sees_only_its_scope(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    assert _seen(sessions, Actor.of("o", "policy_reviewer=district:310115")) == [A]
    assert _seen(sessions, Actor.of("o", "policy_author=department:测试局")) == [A, B]
    assert _seen(sessions, Actor.of("o", "policy_publisher=department:别的局")) == []
    assert _seen(sessions, Actor.of("e", f"enterprise={A}")) == [A]
    assert _seen(sessions, Actor.of("p", "park_operator=园区乙")) == [B]
    assert _seen(sessions, Actor.of("f", "finance_officer")) == [A, B]
    both = Actor.of("x", f"enterprise={A}", "park_operator=园区乙")
    assert _seen(sessions, both) == [A, B]


ACTORS = [
    Actor.of("o", "policy_reviewer=district:310115"),
    Actor.of("o", "policy_author=department:测试局"),
    Actor.of("o", "policy_publisher=department:别的局"),
    Actor.of("e", f"enterprise={A}"),
    Actor.of("p", "park_operator=园区乙"),
    Actor.of("f", "finance_officer"),
    Actor.of("x", f"enterprise={A}", "park_operator=园区乙"),
]


def test_a_core_connection_lists_what_a_session_lists(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The command line reads the listings on a Core connection (no ORM loaded), the portal
    on a session: same rows, same scopes, same refusals, on both databases."""
    _seed(sessions)
    for actor in ACTORS:
        with transaction(sessions) as s:
            on_session = [
                ledger.list_records(s, actor=actor),
                ledger.list_grants(s, actor=actor),
                ledger.list_versions(s, actor=actor),
            ]
        with reading_connection(engine) as conn:
            on_connection = [
                ledger.list_records(conn, actor=actor),
                ledger.list_grants(conn, actor=actor),
                ledger.list_versions(conn, actor=actor),
            ]
        assert on_connection == on_session, actor
    with reading_connection(engine) as conn:
        with pytest.raises(AccessDenied):
            ledger.list_records(conn, actor=Actor.of("nobody"))
        with pytest.raises(AccessDenied):
            ledger.list_records(conn, actor=Actor.of("e", f"enterprise={A}"), uscc=B)
        with pytest.raises(AccessDenied):
            ledger.list_batches(conn, actor=Actor.of("o", "policy_reviewer=*"))
        assert ledger.list_batches(conn, actor=Actor.of("f", "finance_officer")) == []
