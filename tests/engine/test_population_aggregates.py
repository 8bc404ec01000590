"""A simulation's aggregates (one GROUP BY over bulk matching's compact rows) equal the
same figures counted by hand from each enterprise's evaluation, on random populations:
for a policy without a scope, one whose scope drops enterprises before anything is
computed for them and with near misses (a margin), and against a previous version."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.engine import compile_policy, get_backend
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.population import population_columns, simulate_population
from huiqi.engine.frame_columns import FrameColumn
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.uscc import make

POLICY = """\
id: agg-test
version: 1
title: {zh: 聚合测试, en: Aggregate test}
department: {zh: 测试委员会, en: Test commission}
level: city
region: "310000"
source: {document: 测试文件}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: auto
data_year: 2025
criteria:
  - id: staff
    label: {zh: 员工至少十人, en: At least ten staff}
    expr: employees >= 10
  - id: rd
    label: {zh: 研发费用, en: R&D}
    expr: rd_expense >= 100000
amount:
  formula: "0.1 * rd_expense"
"""
# A district scope (enterprises elsewhere are dropped first), a near miss within 30 %
# of the staff threshold, an amount with a floor: the compact rows' paths.
SCOPED = (
    POLICY.replace("id: agg-test", "id: agg-scoped")
    .replace(
        "criteria:\n",
        "criteria:\n  - id: district\n    label: {zh: 区, en: District}\n"
        "    expr: district_code IN ('310114', '310115')\n",
    )
    .replace("expr: employees >= 10\n", "expr: employees >= 10\n    margin: 30%\n")
    .replace('formula: "0.1 * rd_expense"', 'formula: "0.1 * rd_expense"\n  floor: 12000.5')
)
# The version in force that a draft is compared with: fewer staff, more R&D, another
# rate (enterprises gain and lose eligibility, and amounts change).
PREVIOUS = (
    SCOPED.replace("employees >= 10", "employees >= 8")
    .replace("rd_expense >= 100000", "rd_expense >= 200000")
    .replace("0.1 *", "0.15 *")
)
DISTRICTS = ("310114", "310104", "310115")
SECTIONS = ("C", "I", "M")
DIMS = (FrameColumn("static", "district_code"), FrameColumn("static", "industry_section"))

enterprises = st.lists(
    st.tuples(
        st.sampled_from(DISTRICTS),
        st.one_of(st.none(), st.sampled_from(SECTIONS)),
        st.one_of(st.none(), st.integers(0, 30)),
        st.one_of(st.none(), st.integers(0, 30_000_000).map(lambda n: Decimal(n) / 100)),
    ),
    min_size=1,
    max_size=40,
)


def _profiles(rows: list[tuple[object, ...]]) -> list[Any]:
    from huiqi.engine.casetest import profile_from_case

    profiles = []
    for i, (district, section, staff, rd) in enumerate(rows):
        fields: dict[str, object] = {"uscc": make(f"91{district}MA{i:07d}")}
        fields["district_code"] = district
        for name, value in (("industry_section", section), ("employees", staff)):
            if value is not None:
                fields[name] = value
        if rd is not None:
            fields["rd_expense"] = str(rd)
        profiles.append(profile_from_case(fields, data_year=2025))
    return profiles


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=enterprises, text=st.sampled_from([POLICY, SCOPED]))
def test_aggregates_equal_counting_by_hand(rows: list[tuple[object, ...]], text: str) -> None:
    profiles = _profiles(rows)
    cp = compile_policy(load_policy_text(text, "agg.yaml"))
    backend = get_backend("duckdb")
    assert isinstance(backend, DuckDBBackend)
    by_uscc = {p.uscc: p for p in profiles}
    (evaluations,) = [backend.evaluate(profiles, [cp])]
    with backend.connect(profiles) as con:
        build_frame(con, population_columns(cp, None, DIMS))
        r = simulate_population(con, cp, dims=DIMS)

    assert r.enterprises == len(profiles)
    assert r.tally.counts == dict(Counter(e.status for e in evaluations))
    assert r.tally.eligible_fen == sum(
        e.amount_fen or 0 for e in evaluations if e.status == "eligible"
    )
    near = Counter(e.failed[0] for e in evaluations if e.status == "near_miss")
    assert r.near_miss_by_criterion == dict(near)
    for dim in DIMS:
        expected: dict[object, list[int]] = defaultdict(lambda: [0, 0, 0])
        for e in evaluations:
            value = by_uscc[e.uscc].static.get(dim.name)
            if e.status == "eligible":
                expected[value][0] += 1
                expected[value][2] += e.amount_fen or 0
            elif e.status == "needs_data":
                expected[value][1] += 1
        got = {k: [a, b, c] for k, a, b, c in r.breakdowns[dim.name]}
        assert got == dict(expected)
        keys = [k for k, *_ in r.breakdowns[dim.name]]
        assert keys == sorted(keys, key=lambda k: (k is None, k or ""))  # nulls last


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=enterprises)
def test_comparison_equals_counting_by_hand(rows: list[tuple[object, ...]]) -> None:
    profiles = _profiles(rows)
    cp = compile_policy(load_policy_text(SCOPED, "agg.yaml"))
    old = compile_policy(load_policy_text(PREVIOUS, "agg.yaml"))
    backend = get_backend("duckdb")
    assert isinstance(backend, DuckDBBackend)
    now = {e.uscc: e for e in backend.evaluate(profiles, [cp])}
    before = {e.uscc: e for e in backend.evaluate(profiles, [old])}
    with backend.connect(profiles) as con:
        build_frame(con, population_columns(cp, old, DIMS))
        r = simulate_population(con, cp, dims=DIMS, previous=old, sample=1000)
        few = simulate_population(con, cp, dims=DIMS, previous=old, sample=3)

    def eligible(e: Any) -> bool:
        return bool(e.status == "eligible")

    assert r.previous is not None
    assert r.previous.counts == dict(Counter(e.status for e in before.values()))
    assert r.previous.eligible_fen == sum(e.amount_fen or 0 for e in before.values() if eligible(e))
    gained = sorted(u for u in now if eligible(now[u]) and not eligible(before[u]))
    lost = sorted(u for u in now if eligible(before[u]) and not eligible(now[u]))
    changed = [
        u
        for u in now
        if eligible(now[u]) and eligible(before[u]) and now[u].amount_fen != before[u].amount_fen
    ]
    assert (r.gained, r.lost, r.amount_changed) == (len(gained), len(lost), len(changed))
    assert (r.gained_sample, r.lost_sample) == (gained, lost)
    assert (few.gained_sample, few.lost_sample) == (gained[:3], lost[:3])


def test_fen_totals_are_exact_beyond_64_bits() -> None:
    from huiqi.engine.duckdb.compare import exact_sum

    amounts = [2**62, 2**62, 2**62 - 1, -5, 0]  # their sum needs 65 bits
    assert exact_sum(amounts) == sum(amounts)
    assert exact_sum([]) == 0
    assert exact_sum([-(2**63), 2**63 - 1, 1]) == 0
    assert exact_sum([12345, 67890]) == 80235
