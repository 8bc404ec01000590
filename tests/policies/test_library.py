"""The shipped policy library: it loads, it is varied enough, and every test case passes."""

from __future__ import annotations

import functools
from collections import Counter, defaultdict

import pytest

from huiqi.engine import CompiledLibrary, compile_library, run_case
from huiqi.policies.loader import Library, LoadedPolicy, load_library
from huiqi.policies.model import TestCase


@functools.cache
def library() -> Library:
    return load_library()


def policies() -> list[LoadedPolicy]:
    return library().policies


@functools.cache
def compiled() -> CompiledLibrary:
    return compile_library(library())


def _cases() -> list[tuple[LoadedPolicy, TestCase, int]]:
    return [
        (lp, case, seq) for lp in policies() for seq, case in enumerate(lp.policy.tests, start=1)
    ]


def test_library_loads_without_errors() -> None:
    assert not library().errors, "\n".join(str(e) for e in library().errors)


def test_library_compiles_without_errors() -> None:
    assert not compiled().errors, "\n".join(str(e) for e in compiled().errors)
    assert len(compiled().compiled) == len(policies())


def test_library_has_at_least_thirty_policies() -> None:
    assert len(policies()) >= 30


def test_each_file_is_named_after_its_policy() -> None:
    wrong = [str(lp.path) for lp in policies() if lp.path and lp.path.stem != lp.policy.id]
    assert not wrong, f"file name is not <id>.yaml: {wrong}"


def test_all_three_delivery_modes_are_used_many_times() -> None:
    modes = Counter(lp.policy.delivery for lp in policies())
    assert set(modes) == {"auto", "confirm", "apply"}
    assert min(modes.values()) >= 3, modes


def test_both_levels_are_present() -> None:
    levels = Counter(lp.policy.level for lp in policies())
    assert levels["city"] >= 3 and levels["district"] >= 3, levels


def test_at_least_two_exclusivity_groups_with_two_members() -> None:
    groups: dict[str, list[str]] = defaultdict(list)
    for lp in policies():
        if lp.policy.exclusivity_group:
            groups[lp.policy.exclusivity_group].append(lp.id)
    real = {g: ids for g, ids in groups.items() if len(ids) >= 2}
    assert len(real) >= 2, groups
    lonely = {g: ids for g, ids in groups.items() if len(ids) < 2}
    assert not lonely, f"an exclusivity group needs at least two policies: {lonely}"


def test_attested_criteria_never_in_auto_policies() -> None:
    attested = [lp for lp in policies() if any(c.attested for c in lp.policy.criteria)]
    assert len(attested) >= 2
    auto = [lp.id for lp in attested if lp.policy.delivery == "auto"]
    assert not auto, f"auto (免申即享) policies with attested criteria: {auto}"


def test_budgets_and_per_enterprise_caps_are_used() -> None:
    assert sum(lp.policy.budget is not None for lp in policies()) >= 5
    assert sum(lp.policy.per_enterprise_cap is not None for lp in policies()) >= 2


@pytest.mark.parametrize("lp", policies(), ids=lambda lp: lp.id)
def test_policy_has_an_eligible_and_a_failing_case(lp: LoadedPolicy) -> None:
    tests = lp.policy.tests
    assert len(tests) >= 2, f"{lp.path}: at least two test cases are needed"
    statuses = [t.expect.status for t in tests]
    assert any(t.expect.status == "eligible" and t.expect.amount is not None for t in tests), (
        f"{lp.path}: no eligible case with an amount ({statuses})"
    )
    assert any(s in ("near_miss", "not_eligible") for s in statuses), (
        f"{lp.path}: no near_miss or not_eligible case ({statuses})"
    )


@pytest.mark.parametrize(
    ("lp", "case", "seq"),
    _cases(),
    ids=[f"{lp.id}::{case.name}" for lp, case, _ in _cases()],
)
def test_policy_case(lp: LoadedPolicy, case: TestCase, seq: int) -> None:
    (cp,) = [cp for cp in compiled().compiled if cp.policy.key == lp.policy.key]
    result = run_case(cp, case, seq=seq)
    assert result.ok, result.message
