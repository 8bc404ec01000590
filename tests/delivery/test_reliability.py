"""Exactly-once delivery under concurrency, crashes and re-runs, on SQLite and PostgreSQL.

Every test goes through the real flows (publish → deliver → claim) against a real
profile store snapshot; nothing is mocked. PostgreSQL runs when
HUIQI_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import helpers as h
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import ADMIN, OFFICER, SCHEDULER, enterprise
from huiqi.config import Settings
from huiqi.db.engine import session_factory
from huiqi.db.testing import fresh_database, postgres_server_url
from huiqi.delivery import claims
from huiqi.delivery import service as ledger
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import Entitlement, Event, Grant, Notification, PolicyVersion
from huiqi.delivery.publish import deliver, publish

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            postgres_server_url() is None, reason="PostgreSQL tests need HUIQI_TEST_DATABASE_URL"
        ),
    ),
]
PROPERTY = settings(max_examples=20, deadline=None)


def _publish(settings_: Settings, factory: sessionmaker[Session], text: str, **kw: object):
    return publish(settings_, factory, text, actor=OFFICER, filename="test.yaml", **kw)  # type: ignore[arg-type]


def _entitlement_ids(factory: sessionmaker[Session], pv_id: int) -> dict[str, int]:
    with factory() as s:
        rows = s.execute(
            select(Entitlement.uscc, Entitlement.id).where(Entitlement.policy_version_id == pv_id)
        ).all()
    return {u: i for u, i in rows}


@contextmanager
def _world(backend: str, employees: dict[str, int]) -> Iterator[tuple[Settings, sessionmaker]]:
    """A fresh store and a fresh database, for one hypothesis example."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        settings_, _ = h.build_store(Path(tmp) / "data", employees)
        with fresh_database(backend, Path(tmp)) as eng:
            yield settings_, session_factory(eng)


def _active_grants(factory: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    """(USCC, policy id, amount fen) of every grant still in force."""
    with factory() as s:
        rows = s.execute(
            select(Grant.uscc, PolicyVersion.policy_id, Grant.amount_fen)
            .join(PolicyVersion, PolicyVersion.id == Grant.policy_version_id)
            .where(Grant.status.in_(("granted", "provisional")))
        ).all()
    return [(u, p, a) for u, p, a in rows]


# ---------------------------------------------------------------- concurrent claims


def test_200_concurrent_claims_of_one_offer_make_one_grant(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    code = h.uscc(1)
    settings_, _ = h.build_store(tmp_path / "data", {code: 2})
    pv, rep = _publish(settings_, sessions, h.policy_yaml("claim-once", delivery="confirm"))
    assert rep.offered == 1
    (ent_id,) = _entitlement_ids(sessions, pv.id).values()
    wide = h.wide_engine(engine, 200)
    factory = session_factory(wide)
    actor = enterprise(code)
    start = threading.Barrier(200)

    def one(_: int) -> claims.ClaimResult:
        start.wait()
        return claims.claim(factory, actor=actor, entitlement_id=ent_id)

    try:
        with ThreadPoolExecutor(200) as pool:
            results = list(pool.map(one, range(200)))
    finally:
        wide.dispose()
    grant_ids = {r.grant_id for r in results}
    assert len(grant_ids) == 1 and None not in grant_ids
    assert sum(not r.already for r in results) == 1
    assert {r.amount_fen for r in results} == {2 * 1000 * 100}
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Grant)) == 1
        assert s.scalar(select(func.count()).where(Event.kind == "claim")) == 1
        inbox = s.scalar(
            select(func.count()).where(
                Notification.kind == "granted",
                Notification.uscc == code,
                Notification.channel == "inbox",
            )
        )
    assert inbox == 1


def test_1000_claims_against_a_budget_for_100_make_exactly_100_grants(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    codes = [h.uscc(i) for i in range(1000)]
    settings_, _ = h.build_store(tmp_path / "data", dict.fromkeys(codes, 1))
    # 1,000 yuan each; the budget covers exactly 100 of them.
    text = h.policy_yaml("claim-race", delivery="confirm", budget=100 * 1000)
    pv, rep = _publish(settings_, sessions, text)
    assert rep.offered == 1000
    ids = _entitlement_ids(sessions, pv.id)
    wide = h.wide_engine(engine, 32)
    factory = session_factory(wide)

    def one(code: str) -> claims.ClaimResult:
        actor = enterprise(code)
        return claims.claim(factory, actor=actor, entitlement_id=ids[code])

    try:
        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(one, codes))
    finally:
        wide.dispose()
    winners = [r for r in results if r.grant_id is not None]
    assert len(winners) == 100
    assert {r.status for r in results if r.grant_id is None} == {"budget_exhausted"}
    with sessions() as s:
        version = s.get(PolicyVersion, pv.id)
        assert version is not None
        assert version.committed_fen == version.budget_fen == 100 * 1000 * 100
        total = s.scalar(select(func.sum(Grant.amount_fen)))
        statuses = {
            st_: n
            for st_, n in s.execute(
                select(Entitlement.status, func.count()).group_by(Entitlement.status)
            )
        }
    assert total == version.budget_fen
    assert statuses == {"granted": 100, "budget_exhausted": 900}


# ---------------------------------------------------------------- crash and re-run

_PUBLISH_IN_CHILD = """
import sys
from huiqi.config import get_settings
from huiqi.db.engine import make_engine, session_factory
from huiqi.accounts.testing import OFFICER
from huiqi.delivery.publish import publish
factory = session_factory(make_engine(sys.argv[2]))
publish(get_settings(sys.argv[1]), factory, sys.argv[3], actor=OFFICER, filename="crash.yaml",
        chunk=int(sys.argv[4]))
"""


@pytest.mark.slow
def test_bulk_grant_killed_midway_then_rerun_equals_one_clean_run(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # Fifteen chunks: the kill lands after the first is committed and well before the last.
    n, chunk = 30_000, 2_000
    settings_, _ = h.numbered_store(tmp_path / "data", n, employees=5)
    # Amounts are 1,000-5,000 yuan (9e7 yuan in all); the budget runs out part-way,
    # so a re-run must also spend it on exactly the same enterprises.
    text = h.policy_yaml("crash-run", budget=60_000_000)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PUBLISH_IN_CHILD,
            str(settings_.data_dir),
            *(h.engine_url(engine), text, str(chunk)),
        ],
    )
    deadline = time.monotonic() + 600
    try:
        while h.grant_count(sessions) == 0:
            assert child.poll() is None, "the publish process ended before any grant was made"
            assert time.monotonic() < deadline, "no grant appeared within 10 minutes"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    partial = h.grant_count(sessions)
    with sessions() as s:
        partial_entitlements = s.scalar(select(func.count()).select_from(Entitlement)) or 0
    assert 0 < partial < n

    pv, rerun = _publish(settings_, sessions, text, chunk=chunk)
    assert rerun.new_records == n - partial_entitlements
    with fresh_database(engine.dialect.name, tmp_path) as clean_engine:
        clean = session_factory(clean_engine)
        clean_pv, clean_rep = _publish(settings_, clean, text, chunk=chunk)
        expected = h.grant_set(clean, clean_pv.id)
        expected_committed = h.committed(clean, clean_pv.id)

    got = h.grant_set(sessions, pv.id)
    assert len(expected) == clean_rep.granted > 0
    assert clean_rep.refused.get("budget_exhausted", 0) > 0
    assert got == expected
    assert h.committed(sessions, pv.id) == expected_committed == sum(a for _, a in got)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Entitlement)) == n
        assert s.scalar(select(func.count()).select_from(Grant)) == len(got)
        # A grant made in bulk is a member of its chunk's event, one made alone has its own:
        # together, exactly one per grant.
        chunks = s.scalars(select(Event.data).where(Event.kind == "grants_made")).all()
        alone = s.scalar(select(func.count()).where(Event.kind == "grant")) or 0
        assert sum(d["grants"] for d in chunks if d) + alone == len(got)
        assert ledger.verify_audit(s, actor=ADMIN).ok
        inbox = s.scalar(
            select(func.count()).where(
                Notification.kind == "granted", Notification.channel == "inbox"
            )
        )
    assert inbox == len(got)


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(data=st.data())
def test_first_come_claims_are_granted_in_claim_order_within_budget(
    backend: str, data: st.DataObject
) -> None:
    people = data.draw(st.lists(st.integers(1, 9), min_size=1, max_size=8), label="people")
    budget = data.draw(st.integers(1, sum(people) * 100), label="budget yuan")
    order = data.draw(st.permutations(range(len(people))), label="claim order")
    employees = {h.uscc(i): p for i, p in enumerate(people)}
    with _world(backend, employees) as (settings_, factory):
        text = h.policy_yaml("fc", delivery="confirm", per_person=100, budget=budget)
        pv, _ = _publish(settings_, factory, text)
        ids = _entitlement_ids(factory, pv.id)
        granted = []
        for i in order:
            result = claims.claim(
                factory, actor=enterprise(h.uscc(i)), entitlement_id=ids[h.uscc(i)]
            )
            if result.grant_id is not None:
                granted.append(h.uscc(i))
        with factory() as s:
            by_id = list(s.scalars(select(Grant.uscc).order_by(Grant.id)))
        spent = h.committed(factory, pv.id)
    remaining, expected = budget * 100, []
    for i in order:
        if people[i] * 100 * 100 <= remaining:
            expected.append(h.uscc(i))
            remaining -= people[i] * 100 * 100
    assert granted == expected == by_id
    assert spent == budget * 100 - remaining <= budget * 100


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(data=st.data())
def test_bulk_auto_grant_spends_a_first_come_budget_in_uscc_order(
    backend: str, data: st.DataObject
) -> None:
    people = data.draw(st.lists(st.integers(1, 9), min_size=1, max_size=10), label="people")
    budget = data.draw(st.integers(1, sum(people) * 100), label="budget yuan")
    chunk = data.draw(st.integers(1, 4), label="chunk")
    employees = {h.uscc(i): p for i, p in enumerate(people)}
    with _world(backend, employees) as (settings_, factory):
        text = h.policy_yaml("bulk", per_person=100, budget=budget)
        pv, rep = _publish(settings_, factory, text, chunk=chunk)
        got = h.grant_set(factory, pv.id)
        spent = h.committed(factory, pv.id)
    remaining, expected = budget * 100, set()
    for code in sorted(employees):
        if employees[code] * 100 * 100 <= remaining:
            expected.add((code, employees[code] * 100 * 100))
            remaining -= employees[code] * 100 * 100
    assert got == expected
    assert spent == sum(a for _, a in got) <= budget * 100
    assert rep.granted + rep.refused.get("budget_exhausted", 0) == len(people)


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(data=st.data())
def test_cap_group_is_never_exceeded_across_policies(backend: str, data: st.DataObject) -> None:
    people = data.draw(st.lists(st.integers(1, 9), min_size=1, max_size=5), label="people")
    rates = data.draw(st.lists(st.integers(1, 5), min_size=2, max_size=4), label="rates")
    cap = data.draw(st.integers(1, 40), label="cap yuan") * 100
    employees = {h.uscc(i): p for i, p in enumerate(people)}
    with _world(backend, employees) as (settings_, factory):
        for k, rate in enumerate(rates):
            text = h.policy_yaml(f"cap-{k}", per_person=rate * 100, cap=cap, cap_group="shared-cap")
            _publish(settings_, factory, text)
        grants = _active_grants(factory)
    for code, p in employees.items():
        mine = [a for u, _, a in grants if u == code]
        asked = sum(p * rate * 100 * 100 for rate in rates)
        assert all(a > 0 for a in mine)
        assert sum(mine) == min(asked, cap * 100) <= cap * 100


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(data=st.data())
def test_exclusivity_group_grants_only_the_highest_whatever_the_publish_order(
    backend: str, data: st.DataObject
) -> None:
    people = data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=5), label="people")
    # amount = people * rate + base: lines that cross, so winners differ by enterprise,
    # and small values so that ties (decided by the smaller policy id) happen.
    terms = data.draw(
        st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6)), min_size=2, max_size=4),
        label="(rate, base) per policy",
    )
    order = data.draw(st.permutations(range(len(terms))), label="publish order")
    employees = {h.uscc(i): p for i, p in enumerate(people)}
    names = [f"ex-{chr(ord('a') + k)}" for k in range(len(terms))]
    with _world(backend, employees) as (settings_, factory):
        for k in order:
            rate, base = terms[k]
            formula = f"insured_employees * {rate * 100} + {base * 100 + 100}"
            text = h.policy_yaml(
                names[k], formula=formula, exclusivity_group="only-one", budget=10**7
            )
            _publish(settings_, factory, text)
        grants = _active_grants(factory)
        with factory() as s:
            committed = {
                p: c
                for p, c in s.execute(select(PolicyVersion.policy_id, PolicyVersion.committed_fen))
            }
    # A superseded grant gives its money back to its policy's budget.
    for name in names:
        assert committed[name] == sum(a for _, pid, a in grants if pid == name)
    for code, p in employees.items():
        amounts = {
            names[k]: (p * rate * 100 + base * 100 + 100) * 100
            for k, (rate, base) in enumerate(terms)
        }
        best = max(amounts.values())
        winner = min(name for name, a in amounts.items() if a == best)
        assert [(pid, a) for u, pid, a in grants if u == code] == [(winner, best)]


# ---------------------------------------------------------------- re-runs, new data, time


def test_rerunning_publish_creates_nothing_new(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings_, _ = h.numbered_store(tmp_path / "data", 50)
    text = h.policy_yaml("again", budget=60_000)
    pv, first = _publish(settings_, sessions, text, chunk=7)
    before = (h.grant_set(sessions, pv.id), h.committed(sessions, pv.id))
    with sessions() as s:
        counts = [s.scalar(select(func.count()).select_from(t)) for t in (Event, Notification)]
    pv2, second = _publish(settings_, sessions, text, chunk=7)
    assert pv2.id == pv.id
    assert first.new_records == 50 and first.granted > 0
    assert second.new_records == second.granted == second.flagged == 0
    assert (h.grant_set(sessions, pv.id), h.committed(sessions, pv.id)) == before
    with sessions() as s:
        assert [s.scalar(select(func.count()).select_from(t)) for t in (Event, Notification)] == (
            counts
        )


def test_an_enterprise_no_longer_eligible_is_flagged_and_keeps_its_grant(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    a, b, c = h.uscc(1), h.uscc(2), h.uscc(3)
    settings_, _ = h.build_store(tmp_path / "data", {a: 1, b: 2, c: 3})
    pv, _ = _publish(settings_, sessions, h.policy_yaml("lost", budget=100_000))
    spent = h.committed(sessions, pv.id)
    _, sid2 = h.build_store(tmp_path / "data", {a: 1, b: 0, c: 3})
    rep = deliver(settings_, sessions, pv.id, actor=SCHEDULER)
    assert rep.snapshot_id == sid2 and rep.flagged == 1 and rep.new_records == 0
    with sessions() as s:
        ent = s.scalar(select(Entitlement).where(Entitlement.uscc == b))
        assert ent is not None
        assert ent.review_flag and ent.status == "granted"
        assert f"snapshot {sid2}" in (ent.review_reason or "")
        grant = s.scalar(select(Grant).where(Grant.uscc == b))
        assert grant is not None and grant.status == "granted"
        flagged = s.scalars(select(Entitlement.uscc).where(Entitlement.review_flag)).all()
    assert flagged == [b]
    assert h.committed(sessions, pv.id) == spent
    # Flagging happens once, not on every later run.
    assert deliver(settings_, sessions, pv.id, actor=SCHEDULER).flagged == 0


def test_unclaimed_offers_expire_after_the_policy_ends(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_, _ = h.numbered_store(tmp_path / "data", 3)
    end = dt.date(2026, 6, 30)
    monkeypatch.setenv("HUIQI_TODAY", "2026-06-01")  # delivered inside the window
    text = h.policy_yaml("expiring", delivery="confirm", valid_to=end)
    pv, _ = _publish(settings_, sessions, text)
    ids = _entitlement_ids(sessions, pv.id)
    first = ids[h.uscc(0)]
    assert claims.claim(
        sessions, actor=enterprise(h.uscc(0)), entitlement_id=first, today=end
    ).grant_id
    assert expire_offers(sessions, actor=SCHEDULER, today=end) == 0
    assert expire_offers(sessions, actor=SCHEDULER, today=end + dt.timedelta(days=1)) == 2
    assert expire_offers(sessions, actor=SCHEDULER, today=end + dt.timedelta(days=2)) == 0
    late = ids[h.uscc(1)]
    with pytest.raises(claims.ClaimError, match="is 'expired'"):
        claims.claim(sessions, actor=enterprise(h.uscc(1)), entitlement_id=late, today=end)
    with sessions() as s:
        statuses = {i: st_ for i, st_ in s.execute(select(Entitlement.id, Entitlement.status))}
        assert s.scalar(select(func.count()).where(Event.kind == "expired")) == 2
    assert statuses[first] == "granted"
    assert sorted(statuses.values()) == ["expired", "expired", "granted"]


def test_a_superseded_grant_gives_back_its_cap_usage(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Two policies share an exclusivity group and a cap group (cap 1,000 yuan): 500 yuan is
    granted, then an 800-yuan policy supersedes it. Only the 800 is in force, so it fits the cap."""
    settings_, _ = h.build_store(tmp_path / "data", {h.uscc(1): 1})
    for pid, per_person in (("ex-low", 500), ("ex-high", 800)):
        text = h.policy_yaml(
            pid, per_person=per_person, cap=1000, cap_group="c", exclusivity_group="g"
        )
        _publish(settings_, sessions, text)
    assert _active_grants(sessions) == [(h.uscc(1), "ex-high", 800_00)]
