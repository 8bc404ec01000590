"""Simulation before publishing: counts, exact cost against the budget, breakdowns, near
misses by criterion and gains/losses against the published version; the same answer as
bulk matching; access by policy scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from matching_helpers import code, profile, snapshot_of
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.roles import Role
from huiqi.accounts.testing import OFFICER, enterprise, officer
from huiqi.delivery.versions import publish_text
from huiqi.engine import compile_policy, run_matching
from huiqi.errors import PolicyError
from huiqi.matching.simulate import simulate
from huiqi.policies.loader import load_policy_text

DRAFT = """\
id: jd-sim-rd
version: {version}
title: {{zh: 模拟研发补贴, en: Simulated R&D subsidy}}
department: {{zh: 嘉定区科学技术委员会, en: Jiading science commission}}
level: district
region: "310114"
source: {{document: 测试文件}}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: in_jiading
    label: {{zh: 注册在嘉定区, en: In Jiading}}
    expr: district_code = '310114'
  - id: rd_intensity
    label: {{zh: 研发费用不低于营业收入的{pct}%, en: R&D at least {pct} % of revenue}}
    expr: rd_expense >= {share} * revenue
amount:
  formula: "0.1 * rd_expense"
budget: 100000
"""


def draft(version: int = 1, share: str = "0.03") -> str:
    pct = str(round(float(share) * 100, 1)).removesuffix(".0")
    return DRAFT.format(version=version, share=share, pct=pct)


ROWS = [
    # (i, district, industry class, employees, revenue, R&D)
    (1, "310114", "3911", 50, 10_000_000, "400000.01"),  # 4 %: eligible, 40,000.00 yuan
    (2, "310114", "6513", 20, 10_000_000, "350000"),  # 3.5 %: eligible, 35,000.00
    (3, "310114", "3911", 50, 10_000_000, "280000"),  # 2.8 %: near miss (rd_intensity)
    (4, "310114", "6513", 20, None, "900000"),  # revenue unknown: needs data
    (5, "310104", "3911", 50, 10_000_000, "900000"),  # another district: not eligible
]


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    profiles = []
    for i, district, industry, staff, revenue, rd in ROWS:
        fields: dict[str, object] = {
            "district_code": district,
            "industry_class": industry,
            "industry_section": "C" if industry.startswith("39") else "I",
            "employees": staff,
            "rd_expense": rd,
        }
        if revenue is not None:
            fields["revenue"] = revenue
        profiles.append(profile(code(i, district), **fields))
    s, _ = snapshot_of(tmp_path / "data", profiles)
    return s


def test_counts_cost_and_breakdowns(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        sim = simulate(settings, s, actor=OFFICER, text=draft())
    assert (sim.enterprises, sim.eligible, sim.near_miss, sim.needs_data, sim.not_eligible) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert sim.total_fen == 4_000_000 + 3_500_000  # 40,000.00 + 35,000.00 yuan (0.01 rounds)
    assert sim.budget_fen == 10_000_000 and not sim.over_budget
    assert sim.budget_left_fen == 2_500_000
    (jiading,) = sim.breakdowns["district_code"]
    assert (jiading.key, jiading.label_zh, jiading.eligible, jiading.needs_data) == (
        "310114",
        "嘉定区",
        2,
        1,
    )
    sections = {b.key: (b.eligible, b.amount_fen) for b in sim.breakdowns["industry_section"]}
    assert sections == {"C": (1, 4_000_000), "I": (1, 3_500_000)}
    # in_jiading says whom the policy is for: never a near miss, never listed.
    assert {c.id: c.near_misses for c in sim.near_misses} == {"rd_intensity": 1}
    assert sim.comparison is None


def test_over_budget_is_said(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        sim = simulate(settings, s, actor=OFFICER, text=draft(share="0.02"))
    assert (
        sim.eligible == 3 and sim.over_budget and sim.budget_left_fen == -300_000
    )  # 103,000 yuan against 100,000


def test_gains_and_losses_against_the_published_version(
    settings, sessions: sessionmaker[Session]
) -> None:
    publish_text(sessions, draft(1, "0.03"), "v1.yaml", actor=OFFICER)
    with sessions() as s:
        looser = simulate(settings, s, actor=OFFICER, text=draft(2, "0.025"))
        stricter = simulate(settings, s, actor=OFFICER, text=draft(2, "0.038"))
        same = simulate(settings, s, actor=OFFICER, text=draft(1, "0.03"))
    assert looser.comparison is not None
    c = looser.comparison
    assert (c.version, c.eligible_before, c.gained, c.lost) == (1, 2, 1, 0)
    assert c.gained_sample == (code(3),)
    assert stricter.comparison is not None
    assert (stricter.comparison.gained, stricter.comparison.lost) == (0, 1)
    assert stricter.comparison.lost_sample == (code(2),)
    assert same.comparison is None  # the draft is the version in force


def test_the_same_answer_as_bulk_matching(settings, sessions: sessionmaker[Session]) -> None:
    cp = compile_policy(load_policy_text(draft(), "draft.yaml"))
    run = run_matching(settings, [cp])
    (summary,) = run.policies
    with sessions() as s:
        sim = simulate(settings, s, actor=OFFICER, text=draft())
    assert (sim.eligible, sim.near_miss, sim.needs_data, sim.total_fen) == (
        summary.eligible,
        summary.near_miss,
        summary.needs_data,
        summary.amount_fen,
    )


def test_only_authors_and_publishers_in_scope(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        simulate(settings, s, actor=officer("district:310114", Role.POLICY_AUTHOR), text=draft())
        simulate(settings, s, actor=officer("district:310114", Role.POLICY_PUBLISHER), text=draft())
        for actor in (
            officer("district:310104"),
            officer("district:310114", Role.POLICY_REVIEWER),
            enterprise(code(1)),
        ):
            with pytest.raises(AccessDenied):
                simulate(settings, s, actor=actor, text=draft())


def test_a_broken_draft_says_where(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s, pytest.raises(PolicyError) as caught:
        simulate(settings, s, actor=OFFICER, text=draft().replace("rd_expense >=", "rd_expens >="))
    assert "draft.yaml" in str(caught.value) and "rd_expens" in str(caught.value)


def test_gains_and_losses_when_the_scope_moves(settings, sessions: sessionmaker[Session]) -> None:
    """Enterprises that leave a version's scope are plainly not eligible (kept by neither
    evaluation's table): they are still counted as lost, and those entering it as gained."""
    publish_text(sessions, draft(1, "0.03"), "v1.yaml", actor=OFFICER)
    moved = draft(2, "0.03").replace("district_code = '310114'", "district_code = '310104'")
    with sessions() as s:
        sim = simulate(settings, s, actor=OFFICER, text=moved)
    assert sim.comparison is not None
    c = sim.comparison
    assert (c.eligible_before, c.gained, c.lost, c.amount_changed) == (2, 1, 2, 0)
    assert c.gained_sample == (code(5, "310104"),)
    assert c.lost_sample == tuple(sorted((code(1), code(2))))
    assert (sim.eligible, sim.not_eligible, sim.enterprises) == (1, 4, 5)
