"""The contradiction check against the engine itself: random rules on one field of each
type (money, whole number, code, truth value, date), compiled as policies, and every
verdict "can never all hold" checked by running the reference backend on every value of
the field (NULL included) that the rules' constants and the values between them make; and
the generated policies of the conformance suite, on its random population."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from conformance_policies import operator_policies
from engine_factories import policy_yaml, random_profiles
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine import get_backend
from huiqi.engine.compile.compiler import compile_policy
from huiqi.engine.edges import edge_profiles
from huiqi.engine.profile import RawProfile
from huiqi.engine.satisfiable import contradictions
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.uscc import make

DAY = dt.date(2024, 1, 1)
HALVES = [Decimal(k) / 2 for k in range(-2, 9)]
CODES = ["C", "I", "M"]


def _numbers(field: str, values: list[Decimal]) -> st.SearchStrategy[str]:
    value = st.sampled_from(values).map(str)
    some = st.lists(value, min_size=1, max_size=3).map(", ".join)
    pair = st.lists(st.sampled_from(values), min_size=2, max_size=2).map(sorted)
    return st.one_of(
        st.tuples(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), value).map(
            lambda t: f"{field} {t[0]} {t[1]}"
        ),
        some.map(lambda s: f"{field} IN ({s})"),
        some.map(lambda s: f"{field} NOT IN ({s})"),
        pair.map(lambda p: f"{field} BETWEEN {p[0]} AND {p[1]}"),
        st.sampled_from([f"{field} IS NULL", f"{field} IS NOT NULL"]),
    )


def _dates() -> st.SearchStrategy[str]:
    day = st.integers(1, 9).map(lambda d: f"DATE '2024-01-{d + 1:02d}'")
    shifted = st.integers(0, 6).map(lambda n: f"as_of - INTERVAL {n} DAY")
    op = st.sampled_from(["=", "<>", "<", "<=", ">", ">="])
    return st.one_of(
        st.tuples(op, st.one_of(day, shifted)).map(lambda t: f"registration_date {t[0]} {t[1]}"),
        st.lists(day, min_size=2, max_size=2)
        .map(sorted)
        .map(lambda p: f"registration_date BETWEEN {p[0]} AND {p[1]}"),
        st.just("registration_date IS NULL"),
    )


ATOMS = {
    "revenue": _numbers("revenue", [h for h in HALVES if h >= 0]),
    "founder_age": _numbers("founder_age", [Decimal(k) for k in range(16, 22)] + [Decimal("18.5")]),
    "industry_section": st.one_of(
        st.sampled_from(CODES).map(lambda c: f"industry_section = '{c}'"),
        st.sampled_from(CODES).map(lambda c: f"industry_section <> '{c}'"),
        st.lists(st.sampled_from(CODES), min_size=1, max_size=2).map(
            lambda cs: "industry_section IN (" + ", ".join(f"'{c}'" for c in cs) + ")"
        ),
        st.just("industry_section IS NULL"),
    ),
    "credit_dishonest": st.sampled_from(
        [
            "credit_dishonest",
            "NOT credit_dishonest",
            "credit_dishonest = FALSE",
            "credit_dishonest IS NULL",
            "credit_dishonest IS NOT NULL",
        ]
    ),
    "registration_date": _dates(),
}
DOMAIN: dict[str, list[Any]] = {
    "revenue": [None, *(Decimal(k) / 4 for k in range(0, 19))],
    # An import refuses an age outside the dictionary's 16..100: the check's "never true"
    # is about data huiqi holds.
    "founder_age": [None, *range(16, 26)],
    "industry_section": [None, *CODES, "A"],
    "credit_dishonest": [None, True, False],
    "registration_date": [None, *(DAY + dt.timedelta(days=d) for d in range(12))],
}


def _rules(atom: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            inner.map(lambda x: f"NOT ({x})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}) AND ({t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}) OR ({t[1]})"),
        ),
        max_leaves=3,
    )


@st.composite
def one_field_policies(draw: st.DrawFn) -> tuple[str, list[str]]:
    field = draw(st.sampled_from(sorted(ATOMS)))
    return field, draw(st.lists(_rules(ATOMS[field]), min_size=1, max_size=3))


def _profile(field: str, value: Any, i: int) -> RawProfile:
    uscc = make(f"91310115MA1T{i:05d}")
    if field == "revenue":
        return RawProfile(uscc, years={2024: {field: value}})
    return RawProfile(uscc, static={field: value})


@settings(max_examples=120, deadline=None)
@given(one_field_policies())
def test_the_engine_never_meets_criteria_the_check_calls_contradictory(
    drawn: tuple[str, list[str]],
) -> None:
    field, exprs = drawn
    text = policy_yaml([(f"c{i}", e) for i, e in enumerate(exprs)], as_of="2024-01-08")
    cp = compile_policy(load_policy_text(text, "p.yaml"))
    found = contradictions(cp)
    if not found:
        return
    profiles = [_profile(field, v, i) for i, v in enumerate(DOMAIN[field])]
    for row in get_backend("python").evaluate(profiles, [cp]):
        for core, _ in found:
            assert not all(row.values[i] is True for i in core), (exprs, core, row)


def test_the_conformance_suites_generated_policies_on_its_population() -> None:
    policies = operator_policies(170)
    cores = {cp.policy.id: contradictions(cp) for cp in policies}
    flagged = [cp for cp in policies if cores[cp.policy.id]]
    assert flagged  # the generator writes FALSE, 0.035 > 0.035 and the like
    columns = {c for cp in flagged for c in cp.requirements}
    population = random_profiles(300, seed=13) + edge_profiles(columns)
    for row in get_backend("python").evaluate(population, flagged):
        assert row.status != "eligible", row
        for core, _ in cores[row.policy_id]:
            assert not all(row.values[i] is True for i in core), (row.policy_id, core)
