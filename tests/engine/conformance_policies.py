"""Policies for the cross-backend conformance suite: the library and generated ones.

The generated policies are drawn from a seeded stream (the same ones every run):
``operator_policies`` combine every operator of the rule language (comparisons,
BETWEEN, IN and NOT IN, IS [NOT] NULL, AND / OR / NOT, arithmetic and division,
ABS, GREATEST / LEAST / COALESCE, CASE / IF, dates with intervals over month ends,
text in Chinese, qualifications and tags) with amount formulas whose values fall
on the half-fen (a rate of 0.1, 0.005 or 0.125 over money such as 400000.05, caps
and floors with decimals); ``synth_policies`` adds the realistic synthetic ones.
"""

from __future__ import annotations

import random

from engine_factories import policy_yaml

from huiqi.engine.compile.compiler import CompiledPolicy, compile_policy
from huiqi.engine.compile.library import compile_library
from huiqi.errors import PolicyError
from huiqi.policies.loader import load_library, load_policy_text
from huiqi.policies.synth import policy_yaml as synth_yaml
from huiqi.policies.synth import synth_policies

NUMBERS = (
    "employees", "revenue", "revenue[-1]", "rd_expense", "insured_employees[-1]",
    "graduate_hires", "founder_age", "registered_capital", "years_since(registration_date)",
    "0", "1", "-1", "0.035", "969.80", "1000000", "400000.05", "NULL",
)  # fmt: skip
DATES = (
    "registration_date", "relocated_in_date", "as_of", "DATE '2024-02-29'",
    "as_of - INTERVAL 3 YEAR", "registration_date + INTERVAL 1 MONTH",
    "registration_date - INTERVAL 18 MONTH", "relocated_in_date + INTERVAL 30 DAY",
)  # fmt: skip
BOOLS = (
    "credit_dishonest", "founder_first_business", "holds(high_tech)",
    "holds(tech_sme, as_of - INTERVAL 1 YEAR)", "recognised_in(srdi_sme, data_year)",
    "has_tag(tags, 'ai')", "NOT has_tag(tags, 'x'' OR 1=1')", "size_class = 'small'",
    "size_class IN ('small', 'micro')", "size_class NOT IN ('large')",
    "district_code = '310115'", "industry_section IN ('C', 'I')", "TRUE", "FALSE",
    "relocated_in_date IS NOT NULL", "employees IS NULL", "name = '测试企业'",
    "name < '测试企业'", "name >= 'Acme'", "name <> 'x'' y'",
)  # fmt: skip
COMPARE = ("=", "<>", "<", "<=", ">", ">=")
ARITH = ("+", "-", "*", "/")
FORMULAS = (
    "10000", "revenue * 0.1", "revenue * 0.005", "rd_expense * 0.125", "revenue * 0.035",
    "(revenue - rd_expense) * 0.1", "COALESCE(revenue, 0) * 0.0005", "employees * 1500",
    "IF(holds(high_tech), revenue * 0.02, 1000.005)", "GREATEST(rd_expense, revenue[-1]) * 0.1",
    "CASE WHEN employees > 100 THEN 500000 WHEN employees > 10 THEN 100000.5 ELSE 0.015 END",
    "ABS(revenue - revenue[-1]) * 0.05", "insured_employees[-1] * 969.80",
    "LEAST(revenue * 0.1, 2000000.005)", "-revenue * 0.1",
)  # fmt: skip
BOUNDS = ((None, None), ("2500.55", None), (None, "0.05"), ("1000000", "0.005"), ("0.5", None))


def _numeric(rng: random.Random, depth: int = 0) -> str:
    r = rng.random()
    if depth > 1 or r < 0.45:
        return rng.choice(NUMBERS)
    a, b = _numeric(rng, depth + 1), _numeric(rng, depth + 1)
    if r < 0.7:
        return f"{a} {rng.choice(ARITH)} {b}"
    if r < 0.8:
        return f"{rng.choice(('GREATEST', 'LEAST', 'COALESCE'))}({a}, {b})"
    if r < 0.87:
        return f"ABS({a})" if rng.random() < 0.5 else f"-({a})"
    return f"CASE WHEN {rng.choice(BOOLS)} THEN {a} ELSE {b} END"


def _criterion(rng: random.Random, depth: int = 0) -> str:
    r = rng.random()
    if depth == 0 and r < 0.2:
        a, b = _criterion(rng, 1), _criterion(rng, 1)
        return rng.choice((f"({a}) AND ({b})", f"({a}) OR ({b})", f"NOT ({a})"))
    if r < 0.5:
        return f"{_numeric(rng)} {rng.choice(COMPARE)} {_numeric(rng)}"
    if r < 0.6:
        return f"{_numeric(rng)} BETWEEN {_numeric(rng)} AND {_numeric(rng)}"
    if r < 0.67:
        return f"{rng.choice(NUMBERS[:8])} {rng.choice(('IN', 'NOT IN'))} (0, 1, 30, 500)"
    if r < 0.8:
        return f"{rng.choice(DATES)} {rng.choice(COMPARE)} {rng.choice(DATES)}"
    return rng.choice(BOOLS)


def operator_policies(n: int, seed: int = 13) -> list[CompiledPolicy]:
    """``n`` generated policies that compile (refused drafts are drawn again)."""
    rng = random.Random(seed)
    out: list[CompiledPolicy] = []
    while len(out) < n:
        crits = [(f"c{k}", _criterion(rng)) for k in range(rng.randint(1, 5))]
        if rng.random() < 0.3:
            crits[0] = (
                "scope",
                rng.choice(("district_code = '310115'", "industry_section IN ('C', 'I')")),
            )
        cap, floor = rng.choice(BOUNDS)
        text = policy_yaml(
            crits,
            policy_id=f"gen-{len(out):04d}",
            formula=rng.choice(FORMULAS),
            cap=cap,
            floor=floor,
            data_year=rng.choice((2023, 2024)),
        )
        try:
            out.append(compile_policy(load_policy_text(text, "generated.yaml")))
        except PolicyError:
            continue
    return out


# Near misses (compile/nearness): thresholds whose margin bound falls exactly on a value
# the population holds (400000.05, 1000000, 100), margins overridden, attainable
# qualifications, statuses that never count; half of them 'apply' (near-miss rows kept).
MARGIN_POLICIES: tuple[tuple[list[tuple[str, str]], dict[str, dict[str, str]]], ...] = (
    ([("big", "revenue >= 500000.0625"), ("honest", "NOT credit_dishonest")], {}),
    ([("rd", "rd_expense >= 1250000"), ("here", "district_code = '310115'")], {}),
    ([("staff", "employees >= 125"), ("young", "years_since(registration_date) < 5")], {}),
    ([("small", "revenue < 800000")], {"small": {"margin": "25%"}}),
    ([("ratio", "rd_expense >= 0.03 * revenue")], {"ratio": {"margin": "12.5%"}}),
    ([("band", "revenue BETWEEN 1250000 AND 5000000"), ("hq", "has_tag(tags, 'ai')")], {}),
    ([("strict", "revenue >= 5000000"), ("honest", "NOT credit_dishonest")],
     {"strict": {"margin": "0"}}),
    ([("grow", "revenue > revenue[-1]"), ("both", "employees >= 10 AND revenue >= 1000000")],
     {"grow": {"margin": "100%"}}),
    ([("ht", "holds(high_tech)"), ("big", "revenue >= 1000000")], {"ht": {"attainable": "true"}}),
    ([("srdi", "recognised_in(srdi_sme, data_year)"), ("honest", "NOT credit_dishonest")],
     {"srdi": {"attainable": "true"}}),
)  # fmt: skip


def margin_policies() -> list[CompiledPolicy]:
    """The near-miss policies above, compiled; every other one delivered by application."""
    return [
        compile_policy(
            load_policy_text(
                policy_yaml(
                    crits,
                    policy_id=f"near-{i:02d}",
                    keys=keys,
                    delivery="apply" if i % 2 == 0 else "auto",
                    formula="0.1 * revenue" if i % 3 == 0 else "10000",
                ),
                "near.yaml",
            )
        )
        for i, (crits, keys) in enumerate(MARGIN_POLICIES)
    ]


def library_policies() -> list[CompiledPolicy]:
    return list(compile_library(load_library()).compiled)


def synthetic_policies(n: int) -> list[CompiledPolicy]:
    return [
        compile_policy(load_policy_text(synth_yaml(p), f"{p.id}.yaml")) for p in synth_policies(n)
    ]
