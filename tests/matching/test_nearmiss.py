"""Near misses (差一点): one failing actionable threshold within the margin, with the gap
in numbers from the engine's own trace; scope and status criteria never count."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from matching_helpers import code, profile, snapshot_of
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import FINANCE, enterprise, officer, park_operator
from huiqi.db.engine import transaction
from huiqi.delivery.models import DirectoryEntry
from huiqi.engine import CompiledPolicy
from huiqi.engine.compile.compiler import compile_policy
from huiqi.matching.nearmiss import near_misses
from huiqi.matching.thresholds import thresholds
from huiqi.policies.loader import library_dir, load_policy_text

A, B = code(1), code(2)
PARK = "嘉定工业园"


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    s, _ = snapshot_of(
        tmp_path / "data",
        [
            # R&D 2.8 % of revenue (3 % required), grew; a little giant named in 2024 (status).
            profile(
                A,
                district_code="310114",
                revenue=50_000_000,
                rd_expense={2024: 1_000_000, 2025: 1_400_000},
                rd_expense_domestic=1_400_000,
                little_giant=["2024-08-01", "2027-07-31"],
            ),
            # A little giant of 2025 with 45 m revenue (50 m required); on the dishonest list.
            profile(
                B,
                district_code="310114",
                revenue=45_000_000,
                little_giant=["2025-08-01", "2028-07-31"],
                high_tech=["2025-11-20", "2028-11-19"],
                credit_dishonest=True,
                rd_expense=1_500_000,
            ),
        ],
    )
    return s


def _by_policy(found):  # type: ignore[no-untyped-def]
    return {n.policy_id: n for n in found}


def test_a_ratio_short_by_a_little_is_a_near_miss_in_per_cent(
    settings, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        found = _by_policy(near_misses(settings, s, actor=enterprise(A), uscc=A))
    nm = found["jd-rd-expense-subsidy-2026"]
    assert nm.criterion_id == "rd_intensity"
    g = nm.gap
    assert (g.field, g.actual, g.required, g.unit, g.op) == (
        "rd_expense",
        Decimal("2.80"),
        Decimal(3),
        "%",
        ">=",
    )
    assert g.year == 2025 and g.source == "tax"
    assert nm.text_zh == "研发费用占营业收入比例 2.8 %，要求不低于 3 %"
    assert nm.text_en == "R&D expense as a share of revenue 2.80 %, >= 3 % required"
    # Named a little giant in the wrong year: a status, never a near miss.
    assert "jd-little-giant-award-2026" not in found


def test_a_figure_short_of_a_fixed_threshold(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        found = _by_policy(near_misses(settings, s, actor=enterprise(B), uscc=B))
    g = found["jd-little-giant-award-2026"].gap
    assert (g.field, g.actual, g.required, g.unit) == (
        "revenue",
        Decimal("45000000.00"),
        Decimal(50_000_000),
        "yuan",
    )
    assert g.shortfall == Decimal(5_000_000)
    # Everything else met, but on the dishonest list: a status, not a near miss.
    assert "jd-hte-award-2026" not in found


def _little_giant(margin: str | None) -> CompiledPolicy:
    path = library_dir() / "jd-little-giant-award-2026.yaml"
    text = path.read_text(encoding="utf-8")
    if margin is not None:
        text = text.replace(
            "expr: revenue >= 50000000\n", f"expr: revenue >= 50000000\n    margin: {margin}\n"
        )
    return compile_policy(load_policy_text(text, path.name))


def test_outside_the_policys_margin_is_no_near_miss(
    settings, sessions: sessionmaker[Session]
) -> None:
    """The margin is the policy's, per criterion (20 % unless it says otherwise)."""
    with sessions() as s:
        found = {
            m: near_misses(settings, s, actor=enterprise(B), uscc=B, policies=[_little_giant(m)])
            for m in ("5%", None, "0")
        }
    assert found["5%"] == []  # 10 % short
    assert [n.policy_id for n in found[None]] == ["jd-little-giant-award-2026"]
    assert found["0"] == []


def test_who_may_see_near_misses(settings, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        s.add(DirectoryEntry(uscc=A, name="甲", district_code="310114", park=PARK, snapshot_id=1))
    with sessions() as s:
        assert near_misses(settings, s, actor=park_operator(PARK), uscc=A)
        in_scope = near_misses(settings, s, actor=officer("district:310114"), uscc=A)
        assert "jd-rd-expense-subsidy-2026" in _by_policy(in_scope)
        # An officer of another district is refused this enterprise, not shown nothing.
        with pytest.raises(AccessDenied, match="registered in district 310114, outside"):
            near_misses(settings, s, actor=officer("district:310104"), uscc=A)
        for actor in (enterprise(B), park_operator("别的园区"), FINANCE):
            with pytest.raises(AccessDenied):
                near_misses(settings, s, actor=actor, uscc=A)


@pytest.mark.parametrize(
    ("expr", "found"),
    [
        ("revenue >= 50000000", [("revenue", ">=", "50000000", None)]),
        ("50000000 <= revenue", [("revenue", ">=", "50000000", None)]),
        ("COALESCE(model_contract, 0) >= 100000", [("model_contract", ">=", "100000", None)]),
        ("rd_expense >= 0.03 * revenue", [("rd_expense", ">=", "0.03", "revenue")]),
        # Regression (QA): the same ratio written with a division was no threshold.
        ("rd_expense / revenue >= 0.03", [("rd_expense", ">=", "0.03", "revenue")]),
        ("0.03 < rd_expense / revenue", [("rd_expense", ">", "0.03", "revenue")]),
        ("rd_expense > rd_expense[-1]", [("rd_expense", ">", "1", "rd_expense")]),
        (
            "rd_staff >= 20 AND rd_staff >= 0.1 * employees",
            [("rd_staff", ">=", "20", None), ("rd_staff", ">=", "0.1", "employees")],
        ),
        ("years_since(registration_date) < 3", None),  # a status: years since founding
        ("NOT credit_dishonest", None),
        ("district_code = '310114'", None),  # scope
        ("founder_age <= 35", None),  # personal, not actionable
        ("holds(high_tech)", None),
        ("revenue >= 1 OR rd_expense >= 1", None),
    ],
)
def test_thresholds_are_recognised_by_shape(expr: str, found: list | None) -> None:  # type: ignore[type-arg]
    got = thresholds(expr, 2025)
    if found is None:
        assert got is None
        return
    assert got is not None
    assert [
        (t.left.field, t.op, str(t.factor), t.right.field if t.right else None) for t in got
    ] == found
