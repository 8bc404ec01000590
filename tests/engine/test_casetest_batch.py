"""A policy's test cases evaluated in one backend call (as publishing runs them) give what
each gives on its own: the same result, message for message, on the whole library; a case
with relations or a USCC another case uses, or one whose profile cannot be read, is run on
its own and reported as before."""

from __future__ import annotations

import pytest
from engine_factories import policy_yaml

from huiqi.engine import casetest
from huiqi.engine.backend import get_backend
from huiqi.engine.casetest import run_case, run_policy_tests
from huiqi.engine.compile.compiler import CompiledPolicy, compile_policy
from huiqi.policies.loader import library_dir, load_library, load_policy_text


def _one_by_one(cp: CompiledPolicy) -> list[casetest.CaseResult]:
    return [run_case(cp, case, seq=i) for i, case in enumerate(cp.policy.tests, start=1)]


def test_the_library_gives_the_same_results_in_one_call_as_one_by_one() -> None:
    library = [compile_policy(lp) for lp in load_library([library_dir()]).policies]
    assert sum(len(cp.policy.tests) for cp in library) > 100
    for cp in library:
        assert run_policy_tests([cp]) == _one_by_one(cp), cp.policy.id


POLICY = (
    policy_yaml(
        [("big", "revenue >= 1000")], policy_id="xx-batch-cases-2026", formula="0.1 * revenue"
    )
    + """\
tests:
  - name: eligible
    profile: {revenue: 5000}
    expect: {status: eligible, amount: "500.00"}
  - name: too small
    profile: {revenue: 10}
    expect: {status: not_eligible, failing: [big]}
  - name: wrong expectation
    profile: {revenue: 2000}
    expect: {status: eligible, amount: "1.00"}
  - name: unreadable
    profile: {revenue: "12,5"}
    expect: {status: eligible, amount: "1.25"}
  - name: same code as the next
    profile: {uscc: 91310115MA1H8R7C41, revenue: 3000}
    expect: {status: eligible, amount: "300.00"}
  - name: same code as the previous
    profile: {uscc: 91310115MA1H8R7C41, revenue: 1}
    expect: {status: not_eligible, failing: [big]}
"""
)


@pytest.mark.parametrize("shared_code", [True, False])
def test_failing_unreadable_and_shared_code_cases_are_reported_as_one_by_one(
    shared_code: bool,
) -> None:
    text = POLICY if shared_code else POLICY.replace("uscc: 91310115MA1H8R7C41, ", "")
    cp = compile_policy(load_policy_text(text, "xx-batch-cases-2026.yaml"))
    got = run_policy_tests([cp])
    assert got == _one_by_one(cp)
    assert [r.ok for r in got] == [True, True, False, False, True, True]
    assert "expected amount 1.00, got 200.00" in got[2].message


def test_the_cases_share_one_backend_call_when_they_stand_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cp = compile_policy(
        load_policy_text(POLICY.replace("uscc: 91310115MA1H8R7C41, ", ""), "p.yaml")
    )
    engine = get_backend()
    calls: list[int] = []
    evaluate = engine.evaluate

    def counted(profiles, policies):  # type: ignore[no-untyped-def]
        calls.append(len(profiles))
        return evaluate(profiles, policies)

    monkeypatch.setattr(engine, "evaluate", counted)
    run_policy_tests([cp], backend=engine)
    # Five readable profiles in one call; the unreadable one fails before any call.
    assert calls == [5]
