"""Sharing a pro-rata pool among provisional grants, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import factories as make
import pytest
from helpers import race
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import OFFICER
from huiqi.db.engine import transaction
from huiqi.delivery import budget, sharing
from huiqi.delivery.allocation import pro_rata
from huiqi.delivery.models import CapUsage, Entitlement, Event, Grant, PolicyVersion
from huiqi.errors import NotFoundError


def _new_version(sessions: sessionmaker[Session], **kw: object) -> int:
    with transaction(sessions) as s:
        return make.policy_version(s, **kw).id


def _pro_rata_version(
    sessions: sessionmaker[Session], budget_fen: int | None, requests: list[int], **kw: object
) -> tuple[int, list[int]]:
    with transaction(sessions) as s:
        pv = make.policy_version(s, budget_fen=budget_fen, budget_mode="pro_rata", **kw)
        ids = [make.grant(s, pv, requested_fen=r, status="provisional").id for r in requests]
        return pv.id, ids


def test_allocate_pro_rata_sums_to_the_budget_and_runs_once(
    sessions: sessionmaker[Session],
) -> None:
    pv_id, ids = _pro_rata_version(sessions, 100, [100, 200, 300])
    with transaction(sessions) as s:
        result = sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)
    assert result.changed
    assert result.allocations == dict(zip(ids, [17, 33, 50], strict=True))
    assert (result.claimed_fen, result.allocated_fen) == (600, 100)
    with transaction(sessions) as s:
        grants = s.scalars(select(Grant).where(Grant.policy_version_id == pv_id)).all()
        assert {g.status for g in grants} == {"granted"}
        assert sum(g.amount_fen for g in grants) == 100
        assert [g.requested_fen for g in sorted(grants, key=lambda g: g.id)] == [100, 200, 300]
        assert s.get(PolicyVersion, pv_id).committed_fen == 100  # type: ignore[union-attr]
        ents = s.scalars(select(Entitlement).where(Entitlement.policy_version_id == pv_id))
        assert {e.status for e in ents} == {"granted"}
        events = s.scalars(select(Event).where(Event.kind == "allocated")).all()
        assert len(events) == 3
        first = next(e for e in events if e.entity == f"grant:{ids[0]}")
        assert first.data == {"requested_fen": 100, "claimed_fen": 100, "allocated_fen": 17}
        assert first.reason is not None
        assert first.reason.startswith("按比例分配：申请 1.00 元，预算 1.00 元")
    with transaction(sessions) as s:
        again = sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)
        assert s.scalar(select(func.count()).select_from(Event)) == 3
    assert not again.changed
    assert str(again).startswith("nothing to allocate: 3 grant(s)")


def test_allocating_before_the_window_closes_says_who_it_leaves_out(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: 'huiqi allocate' shared a pool on 2026-12-03 for a policy open to 2026-12-31
    without a word; an enterprise qualifying later then gets nothing from it."""
    pv_id, _ = _pro_rata_version(sessions, 100, [100, 200])
    with sessions() as s:
        closes = s.get(PolicyVersion, pv_id).valid_to  # type: ignore[union-attr]
    monkeypatch.setenv("HUIQI_TODAY", closes.isoformat())
    with transaction(sessions) as s:
        early = str(sharing.allocate_pro_rata(s, pv_id, actor=OFFICER))
    assert early.endswith(
        f"; note: allocated before the window closes on {closes.isoformat()}: an enterprise"
        " that qualifies after today gets no share of this pool, and its provisional grant"
        " waits for an officer"
    )
    pv_id, _ = _pro_rata_version(sessions, 100, [100, 200])
    monkeypatch.setenv("HUIQI_TODAY", (closes + dt.timedelta(days=1)).isoformat())
    with transaction(sessions) as s:
        assert "note:" not in str(sharing.allocate_pro_rata(s, pv_id, actor=OFFICER))


def test_allocate_under_budget_grants_every_claim(sessions: sessionmaker[Session]) -> None:
    pv_id, ids = _pro_rata_version(sessions, 10_000, [100, 200])
    with transaction(sessions) as s:
        result = sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)
    assert result.allocations == {ids[0]: 100, ids[1]: 200}
    with pytest.raises(NotFoundError), transaction(sessions) as s:
        sharing.allocate_pro_rata(s, 424242, actor=OFFICER)


def test_allocate_gives_unused_cap_back(sessions: sessionmaker[Session]) -> None:
    code = make.uscc()
    with transaction(sessions) as s:
        pv = make.policy_version(
            s, budget_fen=50, budget_mode="pro_rata", cap_group="rd", per_enterprise_cap_fen=1000
        )
        assert budget.reserve_cap(s, "rd", code, "2026", 1000, 100) == 100
        make.grant(s, pv, requested_fen=100, status="provisional", code=code)
        pv_id = pv.id
    with transaction(sessions) as s:
        sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)
        assert s.get(CapUsage, ("rd", code, "2026")).used_fen == 50  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("first_come", "uses budget mode 'first_come', not 'pro_rata'"),
        ("open_offer", "still has 1 open offer(s)"),
        ("late_claim", "provisional grant(s) arrived afterwards"),
    ],
)
def test_allocate_refuses_when_it_cannot_be_fair(
    sessions: sessionmaker[Session], setup: str, message: str
) -> None:
    with transaction(sessions) as s:
        mode = "first_come" if setup == "first_come" else "pro_rata"
        pv = make.policy_version(s, budget_fen=100, budget_mode=mode)
        make.grant(s, pv, requested_fen=80, status="provisional")
        if setup == "open_offer":
            make.entitlement(s, pv, status="offered")
        if setup == "late_claim":
            make.grant(s, pv, requested_fen=80, amount_fen=80, status="granted")
        pv_id = pv.id
    with (
        pytest.raises(sharing.AllocationError, match=re.escape(message)),
        transaction(sessions) as s,
    ):
        sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)


def test_concurrent_allocations_allocate_once(sessions: sessionmaker[Session]) -> None:
    pv_id, _ = _pro_rata_version(sessions, 1000, [700, 700, 700])
    results: list[sharing.AllocationResult] = []

    def work(_: int) -> None:
        with transaction(sessions) as s:
            results.append(sharing.allocate_pro_rata(s, pv_id, actor=OFFICER))

    race(3, work)
    assert sorted(r.changed for r in results) == [False, False, True]
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 3


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    requests=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    budget_fen=st.integers(min_value=0, max_value=3 * 10**9),
)
def test_allocate_matches_pro_rata_to_the_fen(
    engine: Engine, sessions: sessionmaker[Session], requests: list[int], budget_fen: int
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the property runs on SQLite; the examples above cover PostgreSQL")
    pv_id, ids = _pro_rata_version(sessions, budget_fen, requests)
    with transaction(sessions) as s:
        result = sharing.allocate_pro_rata(s, pv_id, actor=OFFICER)
    expected = pro_rata(dict(zip(ids, requests, strict=True)), budget_fen)
    assert result.allocations == expected
    with transaction(sessions) as s:
        amounts = s.scalars(select(Grant.amount_fen).where(Grant.policy_version_id == pv_id))
        assert sum(amounts) == min(budget_fen, sum(requests))
        assert s.get(PolicyVersion, pv_id).committed_fen == sum(expected.values())  # type: ignore[union-attr]
