"""By how much a near miss misses (``gap`` on its failing criterion): for >=, >, <= and <,
money and counts, exact in the field's unit; nothing when the figure is unknown (needs
data) or the policy is met. Regression: ``huiqi explain`` and the portal named the
failing criterion of a near miss but not the distance to its threshold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from matching_helpers import code, profile, snapshot_of
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import enterprise
from huiqi.config import Settings
from huiqi.engine import CompiledPolicy
from huiqi.engine.api import explain
from huiqi.engine.compile.compiler import compile_policy
from huiqi.matching.gaps import with_gaps
from huiqi.matching.service import explain_enterprise
from huiqi.policies.loader import load_policy_text

SMALL, LEVEL, UNKNOWN = code(1), code(2), code(3)

POLICY = """\
id: gap-{name}
version: 1
title: {{zh: 差距, en: Gap}}
department: {{zh: 某区科委, en: District Science Commission}}
source: {{document: 某府规〔2026〕1号, article: 第一条}}
level: district
region: "310114"
valid_from: 2026-01-01
valid_to: 2026-12-31
data_year: 2025
delivery: apply
criteria:
  - id: figure
    label: {{zh: 条件, en: The condition}}
    expr: {expr}
amount: {{formula: "10000"}}
"""


def policy(name: str, expr: str) -> CompiledPolicy:
    text = POLICY.format(name=name, expr=expr)
    return compile_policy(load_policy_text(text, f"gap-{name}.yaml"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s, _ = snapshot_of(
        tmp_path / "data",
        [
            profile(
                SMALL, district_code="310114", revenue="8500000.00", employees=320, rd_staff=30
            ),
            profile(LEVEL, district_code="310114", revenue="10000000.00", employees=300),
            profile(UNKNOWN, district_code="310114"),
        ],
    )
    return s


def gap_for(settings: Settings, uscc: str, expr: str) -> tuple[str, dict[str, Any] | None]:
    cp = policy("p", expr)
    (trace,) = with_gaps([cp], explain(settings, uscc, [cp]))
    (criterion,) = trace.to_json()["criteria"]
    return trace.status, criterion.get("gap")


@pytest.mark.parametrize(
    ("uscc", "expr", "shortfall", "direction", "beyond", "zh", "en"),
    [
        # Money at least 10 m with 8.5 m: short by 1.5 m, exact, in 万元 in Chinese.
        (
            SMALL,
            "revenue >= 10000000",
            "1500000.00",
            "short",
            False,
            "营业收入 850 万元，要求不低于 1,000 万元，还差 150 万元",
            "Revenue 8,500,000 yuan, >= 10,000,000 yuan required: short by 1,500,000 yuan",
        ),
        # More than 10 m: it must rise by more than 1.5 m; level with it, pass it.
        (
            SMALL,
            "revenue > 10000000",
            "1500000.00",
            "short",
            True,
            "营业收入 850 万元，要求高于 1,000 万元，须增加超过 150 万元",
            "Revenue 8,500,000 yuan, > 10,000,000 yuan required:"
            " must rise by more than 1,500,000 yuan",
        ),
        (
            LEVEL,
            "revenue > 10000000",
            "0.00",
            "short",
            True,
            "营业收入 1,000 万元，要求高于 1,000 万元，与要求持平，须高于要求",
            "Revenue 10,000,000 yuan, > 10,000,000 yuan required:"
            " level with the threshold: it must be above it",
        ),
        # Counts: at most 300 with 320 is 20 over; below 300 with 320 is 21 over (299
        # is the most that meets it), and below 300 with 300 one over.
        (
            SMALL,
            "employees <= 300",
            "20",
            "over",
            False,
            "从业人员 320 人，要求不高于 300 人，超出 20 人",
            "Employees 320 persons, <= 300 persons required: over by 20 persons",
        ),
        (
            SMALL,
            "employees < 300",
            "21",
            "over",
            False,
            "从业人员 320 人，要求低于 300 人，超出 21 人",
            "Employees 320 persons, < 300 persons required: over by 21 persons",
        ),
        (
            LEVEL,
            "employees < 300",
            "1",
            "over",
            False,
            "从业人员 300 人，要求低于 300 人，超出 1 人",
            "Employees 300 persons, < 300 persons required: over by 1 person",
        ),
        # Money at most 8 m with 8.5 m: over by 500,000, 50 万元.
        (
            SMALL,
            "revenue <= 8000000",
            "500000.00",
            "over",
            False,
            "营业收入 850 万元，要求不高于 800 万元，超出 50 万元",
            "Revenue 8,500,000 yuan, <= 8,000,000 yuan required: over by 500,000 yuan",
        ),
        (
            SMALL,
            "revenue < 8000000",
            "500000.00",
            "over",
            True,
            "营业收入 850 万元，要求低于 800 万元，须减少超过 50 万元",
            "Revenue 8,500,000 yuan, < 8,000,000 yuan required:"
            " must come down by more than 500,000 yuan",
        ),
    ],
)
def test_a_near_miss_says_by_how_much(
    settings: Settings,
    uscc: str,
    expr: str,
    shortfall: str,
    direction: str,
    beyond: bool,
    zh: str,
    en: str,
) -> None:
    status, gap = gap_for(settings, uscc, expr)
    assert status == "near_miss"
    assert gap is not None
    assert (gap["shortfall"], gap["direction"], gap["beyond"]) == (shortfall, direction, beyond)
    # Exact decimal strings, never floats.
    assert isinstance(gap["actual"], str) and isinstance(gap["required"], str)
    assert Decimal(gap["shortfall"]) == Decimal(shortfall)
    assert gap["text"] == {"zh": zh, "en": en}


def test_a_ratio_misses_by_percentage_points(settings: Settings) -> None:
    # 30 R&D staff of 320 employees is 9.375 %, shown 9.37 % (away from the 10 %
    # required): short by 0.63 percentage points.
    status, gap = gap_for(settings, SMALL, "rd_staff >= 0.1 * employees")
    assert status == "near_miss" and gap is not None
    assert (gap["unit"], gap["actual"], gap["shortfall"]) == ("%", "9.37", "0.63")
    assert gap["text"]["zh"].endswith("要求不低于 10 %，还差 0.63 个百分点")
    assert gap["text"]["en"].endswith("short by 0.63 percentage points")


def test_no_gap_when_the_figure_is_unknown_or_met_or_beyond_the_margin(
    settings: Settings,
) -> None:
    assert gap_for(settings, UNKNOWN, "revenue >= 10000000") == ("needs_data", None)
    assert gap_for(settings, LEVEL, "revenue >= 10000000") == ("eligible", None)
    # 8.5 m against 20 m is beyond the 20 % margin: not eligible, no near miss.
    assert gap_for(settings, SMALL, "revenue >= 20000000") == ("not_eligible", None)


def test_the_explanation_an_enterprise_reads_has_the_gap(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    cp = policy("p", "revenue >= 10000000")
    with sessions() as s:
        (trace,) = explain_enterprise(
            settings, s, actor=enterprise(SMALL), uscc=SMALL, policies=[cp]
        )
    (criterion,) = trace.to_json()["criteria"]
    assert criterion["gap"]["shortfall"] == "1500000.00"


def test_a_gap_under_one_wan_is_in_yuan_exactly() -> None:
    """Regression: 1 yuan short of a threshold of 100万元 read '还差 0.01 万元' (100 yuan),
    rounded up to the hundredth of the threshold's unit."""
    from huiqi.matching.shortfall import amount_zh

    million = Decimal(1_000_000)
    assert amount_zh(Decimal(1), "yuan", million) == "1 元"
    assert amount_zh(Decimal("9999.99"), "yuan", million) == "9,999.99 元"
    assert amount_zh(Decimal(10_000), "yuan", million) == "1 万元"
    assert amount_zh(Decimal(1_500_000), "yuan", Decimal(10_000_000)) == "150 万元"
