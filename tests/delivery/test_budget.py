"""Budgets, caps and exclusivity slots, on SQLite and PostgreSQL (pro-rata pools: test_sharing)."""

from __future__ import annotations

import factories as make
import pytest
from helpers import race
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import transaction
from huiqi.delivery import budget
from huiqi.delivery.models import CapUsage, PolicyVersion


def _new_version(sessions: sessionmaker[Session], **kw: object) -> int:
    with transaction(sessions) as s:
        return make.policy_version(s, **kw).id


def test_first_come_reserves_whole_amounts_until_the_budget_is_spent(
    sessions: sessionmaker[Session],
) -> None:
    pv_id = _new_version(sessions, budget_fen=1000)
    with transaction(sessions) as s:
        outcomes = [budget.reserve_first_come(s, pv_id, amt) for amt in (400, 400, 400, 200, 1)]
        pv = s.get(PolicyVersion, pv_id)
        assert pv is not None
        assert pv.committed_fen == 1000
    assert outcomes == [True, True, False, True, False]


def test_first_come_without_budget_always_accepts(sessions: sessionmaker[Session]) -> None:
    pv_id = _new_version(sessions, budget_fen=None)
    with transaction(sessions) as s:
        assert not budget.reserve_first_come(s, 999_999, 1)  # unknown version
        assert budget.reserve_first_come(s, pv_id, 10**12)
        assert budget.reserve_first_come(s, pv_id, 10**12)
    with transaction(sessions) as s:
        assert s.get(PolicyVersion, pv_id).committed_fen == 2 * 10**12  # type: ignore[union-attr]


def test_check_constraint_refuses_overspending_even_without_the_helper(
    sessions: sessionmaker[Session],
) -> None:
    pv_id = _new_version(sessions, budget_fen=1000)
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        s.execute(update(PolicyVersion).where(PolicyVersion.id == pv_id).values(committed_fen=1001))


def test_concurrent_first_come_never_exceeds_the_budget(
    sessions: sessionmaker[Session],
) -> None:
    pv_id = _new_version(sessions, budget_fen=5000)
    wins: list[bool] = []

    def work(_: int) -> None:
        for _ in range(4):
            with transaction(sessions) as s:
                wins.append(budget.reserve_first_come(s, pv_id, 300))

    race(6, work)
    with transaction(sessions) as s:
        committed = s.get(PolicyVersion, pv_id).committed_fen  # type: ignore[union-attr]
    assert wins.count(True) == 16
    assert committed == 16 * 300


def test_release_gives_money_back_and_refuses_more_than_committed(
    sessions: sessionmaker[Session],
) -> None:
    pv_id = _new_version(sessions, budget_fen=1000)
    with transaction(sessions) as s:
        assert budget.reserve_first_come(s, pv_id, 1000)
        budget.release(s, pv_id, 300)
        assert budget.reserve_first_come(s, pv_id, 300)
        with pytest.raises(ValueError, match="has less committed"):
            budget.release(s, pv_id, 1001)
        assert s.get(PolicyVersion, pv_id).committed_fen == 1000  # type: ignore[union-attr]


def test_cap_grants_only_what_remains(sessions: sessionmaker[Session]) -> None:
    code = make.uscc()
    with transaction(sessions) as s:
        got = [budget.reserve_cap(s, "rd", code, "2026", 1000, amt) for amt in (600, 600, 600)]
        other_period = budget.reserve_cap(s, "rd", code, "2027", 1000, 600)
        usage = s.get(CapUsage, ("rd", code, "2026"))
        assert usage is not None
        assert usage.used_fen == 1000
    assert got == [600, 400, 0]
    assert other_period == 600


def test_cap_smaller_of_recorded_and_given_cap_applies(sessions: sessionmaker[Session]) -> None:
    code = make.uscc()
    with transaction(sessions) as s:
        assert budget.reserve_cap(s, "rd", code, "2026", 1000, 300) == 300
        assert budget.reserve_cap(s, "rd", code, "2026", 500, 300) == 200
        # the recorded cap (1000) still binds a caller passing a larger one
        assert budget.reserve_cap(s, "rd", code, "2026", 5000, 900) == 500


def test_concurrent_caps_never_exceed_the_cap(sessions: sessionmaker[Session]) -> None:
    code = make.uscc()
    got: list[int] = []

    def work(_: int) -> None:
        for _ in range(3):
            with transaction(sessions) as s:
                got.append(budget.reserve_cap(s, "voucher", code, "2026", 1000, 70))

    race(6, work)
    assert sum(got) == 1000
    assert sorted(set(got)) == [0, 20, 70]


def test_exclusivity_slot_is_taken_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        pv = make.policy_version(s, exclusivity_group="hte")
        first = make.entitlement(s, pv)
        second = make.entitlement(s, pv, code=make.uscc())
        code = first.uscc
        taken = budget.take_exclusivity_slot(s, "hte", code, "2026", first.id, 500)
        assert taken is not None
        assert taken.entitlement_id == first.id
        assert budget.take_exclusivity_slot(s, "hte", code, "2026", second.id, 900) is None
        retry = budget.take_exclusivity_slot(s, "hte", code, "2026", first.id, 500)
        assert retry is not None
        holder = budget.exclusivity_holder(s, "hte", code, "2026")
        assert holder is not None
        assert (holder.entitlement_id, holder.amount_fen) == (first.id, 500)
        assert budget.exclusivity_holder(s, "hte", code, "2027") is None
