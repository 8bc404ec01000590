"""A test case gives the other enterprises its relations name (``others:``), so that a
policy reading ``group_total`` can show its rule at work: a case could name a related
enterprise but not give its figures, so the group's total was always unknown and the
case could only expect ``needs_data``."""

from __future__ import annotations

import pytest

from huiqi.engine import compile_library, run_policy_tests
from huiqi.engine.policycheck import check_text
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.uscc import make

OWN, PARENT = make("91310115MA1H00001"), make("91310115MA1H00002")

POLICY = f"""\
id: xx-group-cap-2026
version: 1
title: {{zh: 集团规模示例, en: Group size example}}
department: {{zh: 示例, en: Example}}
level: city
region: "310000"
source: {{document: 示例政策（示例）}}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: group_small
    label: {{zh: 集团营业收入低于5亿元, en: Group revenue under 500 million}}
    expr: group_total(revenue) < 500000000
amount: {{formula: 100000}}
tests:
  - name: the parent's revenue puts the group over the line
    profile:
      uscc: {OWN}
      revenue: 100000000
      relations:
        - {{party: {PARENT}, relation: shareholder, share_pct: 60, from: 2020-01-01}}
    others:
      - {{uscc: {PARENT}, revenue: PARENT_REVENUE}}
    expect: {{status: not_eligible, failing: [group_small]}}
  - name: a small group
    profile:
      uscc: {OWN}
      revenue: 100000000
      relations:
        - {{party: {PARENT}, relation: shareholder, share_pct: 60, from: 2020-01-01}}
    others:
      - {{uscc: {PARENT}, revenue: 300000000}}
    expect: {{status: eligible, amount: "100000.00"}}
"""


def _results(text: str) -> list[tuple[bool, str]]:
    lib = compile_library([load_policy_text(text, "group.yaml")])
    assert not lib.errors, lib.errors
    return [(r.ok, r.message) for r in run_policy_tests(lib.compiled)]


def test_the_related_enterprises_figures_decide_the_group_total() -> None:
    assert _results(POLICY.replace("PARENT_REVENUE", "450000000")) == [(True, "ok")] * 2
    # 499,999,999.99 in all: one fen under the line, so the first case now fails as written.
    got = _results(POLICY.replace("PARENT_REVENUE", '"399999999.99"'))
    assert got[1] == (True, "ok")
    assert not got[0][0] and "expected status not_eligible, got eligible" in got[0][1], got


def test_without_the_other_enterprise_the_group_total_is_unknown() -> None:
    text = POLICY.replace(
        "    others:\n      - {uscc: " + PARENT + ", revenue: PARENT_REVENUE}\n", ""
    )
    assert "PARENT_REVENUE" not in text
    first = _results(text)[0]
    assert not first[0] and "got needs_data (unknown ['group_small'])" in first[1], first


@pytest.mark.parametrize(
    ("other", "said"),
    [
        ("{revenue: 1}", "others[0] has no uscc"),
        (f"{{uscc: {OWN}, revenue: 1}}", f"others[0]: {OWN} is in the case twice"),
    ],
)
def test_an_other_enterprise_without_its_own_code_fails_the_case_saying_why(
    other: str, said: str
) -> None:
    text = POLICY.replace(f"{{uscc: {PARENT}, revenue: PARENT_REVENUE}}", other)
    first = _results(text)[0]
    assert not first[0] and said in first[1], first


def test_lint_points_at_an_other_enterprises_value() -> None:
    text = POLICY.replace("PARENT_REVENUE", "1000.50")  # money unquoted: refused
    problems = [p for p in check_text(text, "p.yaml").problems if p.severity == "error"]
    assert [(p.line, p.field) for p in problems] == [(25, "tests[0].others[0].revenue")]
