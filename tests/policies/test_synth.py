"""Synthetic policies: deterministic, valid, varied, and matching a realistic share."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import duckdb
import pytest

from huiqi.engine.compile.compiler import compile_policy
from huiqi.engine.duckdb.evaluate import evaluate_in
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile
from huiqi.policies.loader import load_policy, load_policy_text
from huiqi.policies.synth import QUALIFICATIONS, synth_policies, write_policies

N = 120


@pytest.fixture(scope="module")
def policies():
    return synth_policies(N, seed=11)


def test_same_seed_gives_same_policies(policies):
    assert synth_policies(N, seed=11) == policies


def test_other_seed_gives_other_policies(policies):
    assert synth_policies(N, seed=12) != policies


def test_prefix_is_stable(policies):
    assert synth_policies(10, seed=11) == policies[:10]


def test_every_policy_compiles(policies):
    for p in policies:
        cp = compile_policy(p)
        assert cp.checked, p.id


def test_ids_are_unique(policies):
    assert len({p.id for p in policies}) == N


def test_criteria_count_between_two_and_six(policies):
    assert {len(p.criteria) for p in policies} <= set(range(2, 7))


def test_variety(policies):
    assert {p.delivery for p in policies} == {"auto", "confirm", "apply"}
    assert {p.level for p in policies} == {"city", "district"}
    assert len({p.exclusivity_group for p in policies if p.exclusivity_group}) >= 3
    assert sum(p.budget is not None for p in policies) >= 10
    assert any(p.amount.cap is not None for p in policies)
    assert any(p.amount.formula.isdigit() for p in policies)
    assert any(c.attested for p in policies for c in p.criteria)
    exprs = " ".join(c.expr or "" for p in policies for c in p.criteria)
    for needle in ("district_code", "industry_section", "size_class", "[-1]", "0.0",
                   "holds(", "years_since(", "has_tag(", "credit_dishonest", "employees"):  # fmt: skip
        assert needle in exprs, needle


def test_yaml_round_trips(tmp_path):
    paths = write_policies(tmp_path, 5, seed=3)
    assert [load_policy(p).policy for p in paths] == synth_policies(5, seed=3)
    assert load_policy_text(paths[0].read_text(encoding="utf-8")).policy.id == "synth-0000"


def _size_class(employees: int) -> str:
    for bound, name in ((1000, "large"), (300, "medium"), (20, "small")):
        if employees >= bound:
            return name
    return "micro"


def _random_profile(rng: random.Random, i: int) -> RawProfile:
    """A plausible enterprise with a few unknown fields."""
    emp = max(1, int(rng.lognormvariate(1.8, 1.3)))
    static = {
        "district_code": rng.choice(["310115", "310112", "310104", "310117", "310101"]),
        "industry_section": rng.choice("CFIMLEG"),
        "registration_date": dt.date(2025, 12, 31) - dt.timedelta(days=rng.randint(30, 9000)),
        "credit_dishonest": rng.random() < 0.02,
        "abnormal_operation": rng.random() < 0.05,
        "ip_class1_count": rng.randint(0, 6),
        "ip_class2_count": rng.randint(0, 20),
        "tags": rng.choice([[], [], [], ["ai"], ["biomedicine"]]),
    }
    years = {}
    for year in (2023, 2024, 2025):
        rev = Decimal(int(emp * 300_000 * rng.uniform(0.3, 3)))
        years[year] = {
            "employees": emp,
            "insured_employees": emp if rng.random() > 0.05 else None,
            "size_class": _size_class(emp),
            "revenue": rev,
            "main_business_revenue": rev,
            "total_assets": rev,
            "tax_paid": rev * Decimal("0.05"),
            "rd_expense": rev * Decimal(rng.choice(["0", "0.02", "0.05", "0.08"])),
            "rd_staff": int(emp * rng.choice([0, 0.1, 0.3])),
            "college_staff": int(emp * 0.5),
            "serious_violation": False,
            "rent_paid": Decimal(emp * 10_000),
            "ui_premiums_paid": Decimal(emp * 400),
            "graduate_hires": emp // 20,
            "fixed_asset_investment": rev * Decimal("0.05"),
            "equity_financing": Decimal(0),
            "compute_rent": Decimal(rng.choice([0, 0, 200_000])),
            "model_contract": Decimal(rng.choice([0, 0, 600_000])),
            "corpus_contract": Decimal(0),
        }
    quals = [
        (q, dt.date(2023, 3, 1), dt.date(2026, 2, 28))
        for q in QUALIFICATIONS
        if rng.random() < 0.15
    ]
    return RawProfile(f"91310000TEST{i:06d}", static, years, quals)


def test_a_realistic_share_of_enterprises_match(policies):
    rng = random.Random(5)
    profiles = [_random_profile(rng, i) for i in range(300)]
    con = duckdb.connect()
    load_profiles_into(con, profiles)
    compiled = [compile_policy(p) for p in policies[:40]]
    statuses = Counter(e.status for e in evaluate_in(con, compiled))
    total = sum(statuses.values())
    assert total == 300 * 40
    eligible = statuses["eligible"] / total
    assert 0.01 < eligible < 0.6, statuses
    assert statuses["not_eligible"] > 0 and statuses["near_miss"] > 0, statuses
