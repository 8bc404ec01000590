"""Pure money rules: pro-rata shares, 就高不重复 and caps (no database)."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.delivery import allocation
from huiqi.delivery.allocation import Candidate, apply_cap, choose_highest, pro_rata

requests_st = st.dictionaries(
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=0, max_value=10**12),
    max_size=40,
)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(allocation)
    assert result.attempted > 0
    assert result.failed == 0


@given(requests_st, st.integers(min_value=1, max_value=10**13))
def test_oversubscribed_shares_sum_to_budget_and_never_exceed_a_request(
    requests: dict[int, int], budget: int
) -> None:
    shares = pro_rata(requests, budget)
    assert shares.keys() == requests.keys()
    assert all(0 <= shares[g] <= requests[g] for g in requests)
    if sum(requests.values()) > budget:
        assert sum(shares.values()) == budget
    else:
        assert shares == requests


@given(requests_st, st.integers(min_value=-10, max_value=10**13))
def test_larger_request_never_gets_less(requests: dict[int, int], budget: int) -> None:
    shares = pro_rata(requests, budget)
    for a in requests:
        for b in requests:
            if requests[a] > requests[b]:
                assert shares[a] >= shares[b]
            if requests[a] == requests[b]:
                assert abs(shares[a] - shares[b]) <= 1


@given(requests_st, st.integers(min_value=0, max_value=10**13))
def test_result_does_not_depend_on_input_order(requests: dict[int, int], budget: int) -> None:
    reversed_input = dict(reversed(list(requests.items())))
    assert pro_rata(reversed_input, budget) == pro_rata(requests, budget)


@given(requests_st, st.integers(min_value=1, max_value=10**13))
def test_each_share_is_within_one_fen_of_the_exact_share(
    requests: dict[int, int], budget: int
) -> None:
    total = sum(requests.values())
    shares = pro_rata(requests, budget)
    if total > budget:
        for g, r in requests.items():
            # exact share is budget*r/total; the share is its floor or floor + 1
            assert shares[g] * total <= budget * r + total
            assert shares[g] * total >= budget * r - total


@pytest.mark.parametrize(
    ("requests", "budget", "expected"),
    [
        ({1: 1, 2: 1, 3: 1}, 1, {1: 1, 2: 0, 3: 0}),
        ({1: 1, 2: 1, 3: 1}, 2, {1: 1, 2: 1, 3: 0}),
        ({3: 10, 1: 10, 2: 10}, 10, {1: 4, 2: 3, 3: 3}),
        ({1: 100, 2: 200, 3: 300}, 100, {1: 17, 2: 33, 3: 50}),
        ({1: 10**12, 2: 10**12, 3: 1}, 10**12, {1: 5 * 10**11, 2: 5 * 10**11, 3: 0}),
        ({1: 10**12, 2: 3 * 10**12}, 10**12 + 1, {1: 250_000_000_000, 2: 750_000_000_001}),
        ({1: 500}, 500, {1: 500}),
        ({1: 500, 2: 0}, 100, {1: 100, 2: 0}),
        ({1: 5, 2: 5}, 0, {1: 0, 2: 0}),
        ({1: 5, 2: 5}, -100, {1: 0, 2: 0}),
        ({}, 100, {}),
        ({1: 0, 2: 0}, 0, {1: 0, 2: 0}),
    ],
)
def test_pro_rata_awkward_inputs(
    requests: dict[int, int], budget: int, expected: dict[int, int]
) -> None:
    assert pro_rata(requests, budget) == expected


def test_pro_rata_refuses_negative_request() -> None:
    with pytest.raises(ValueError, match="grant 2 requests -1 fen"):
        pro_rata({1: 5, 2: -1}, 3)


def test_choose_highest_picks_the_largest_amount_and_explains() -> None:
    choice = choose_highest(
        [
            Candidate("mh-hte-award", 1, 200_000_00, entitlement_id=1),
            Candidate("jd-hte-award", 2, 300_000_00, entitlement_id=2, title="嘉定高企奖励"),
            Candidate("pd-hte-award", 1, 100_000_00, entitlement_id=3),
        ]
    )
    assert choice.chosen.entitlement_id == 2
    assert [c.entitlement_id for c in choice.set_aside] == [1, 3]
    assert not choice.tie
    assert choice.explanation_zh.startswith("同组政策就高不重复：jd-hte-award v2（嘉定高企奖励）")
    assert "金额最高（300000.00 元）" in choice.explanation_zh
    assert "mh-hte-award v1（200000.00 元）" in choice.explanation_zh
    assert "highest amount (300000.00 yuan)" in choice.explanation_en
    assert choice.explanation == f"{choice.explanation_zh} / {choice.explanation_en}"


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [
        ([Candidate("b", 1, 5), Candidate("a", 1, 5)], ("a", 1)),
        ([Candidate("a", 1, 5), Candidate("a", 3, 5), Candidate("a", 2, 5)], ("a", 3)),
        ([Candidate("z", 1, 6), Candidate("a", 9, 5)], ("z", 1)),
        ([Candidate("only", 1, 0)], ("only", 1)),
    ],
)
def test_choose_highest_ties_are_deterministic(
    candidates: list[Candidate], winner: tuple[str, int]
) -> None:
    for order in (candidates, list(reversed(candidates))):
        chosen = choose_highest(order).chosen
        assert (chosen.policy_id, chosen.version) == winner


def test_choose_highest_tie_is_explained() -> None:
    choice = choose_highest([Candidate("b", 1, 5), Candidate("a", 1, 5)])
    assert choice.tie
    assert "金额相同时按政策编号、较新版本优先" in choice.explanation_zh


@pytest.mark.parametrize(
    ("candidates", "message"),
    [([], "at least one candidate"), ([Candidate("a", 1, -1)], "negative amount")],
)
def test_choose_highest_refuses_bad_input(candidates: list[Candidate], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        choose_highest(candidates)


@pytest.mark.parametrize(
    ("amount", "cap", "used", "expected"),
    [
        (50_00, 100_00, 0, 50_00),
        (50_00, 100_00, 70_00, 30_00),
        (50_00, 100_00, 100_00, 0),
        (50_00, 100_00, 120_00, 0),
        (50_00, None, 10**9, 50_00),
        (0, 100_00, 0, 0),
        (-5, 100_00, 0, 0),
        (10**12, 10**12, 10**12 - 1, 1),
    ],
)
def test_apply_cap(amount: int, cap: int | None, used: int, expected: int) -> None:
    assert apply_cap(amount, cap, used) == expected


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
)
def test_apply_cap_never_exceeds_cap_or_amount(amount: int, cap: int, used: int) -> None:
    granted = apply_cap(amount, cap, used)
    assert 0 <= granted <= amount
    assert used + granted <= max(cap, used)
