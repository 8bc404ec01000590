"""A simulation's aggregates (one pass of grouping sets over the evaluation) equal the
same figures counted by hand from each enterprise's evaluation, on random populations."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

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
DISTRICTS = ("310114", "310104", "310115")
SECTIONS = ("C", "I", "M")
DIMS = (FrameColumn("static", "district_code"), FrameColumn("static", "industry_section"))

enterprises = st.lists(
    st.tuples(
        st.sampled_from(DISTRICTS),
        st.one_of(st.none(), st.sampled_from(SECTIONS)),
        st.one_of(st.none(), st.integers(0, 30)),
        st.one_of(st.none(), st.integers(0, 300_000).map(lambda n: Decimal(n) / 100)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=enterprises)
def test_aggregates_equal_counting_by_hand(rows: list[tuple[object, ...]]) -> None:
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
    cp = compile_policy(load_policy_text(POLICY, "agg.yaml"))
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
