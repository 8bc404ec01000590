"""Near misses: which failing criterion is actionable (engine/compile/nearness).

A near miss is a failure on exactly one actionable criterion: a numeric threshold the
enterprise is within the criterion's margin of, or a qualification marked attainable.
Statuses and scope are never near misses. The bounds are decided exactly.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from backends_available import backend_or_skip_reason
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine import get_backend
from huiqi.engine.backend import backend_names
from huiqi.engine.compile.nearness import relaxed_rule
from huiqi.engine.compile.parse import parse_rule
from huiqi.engine.profile import profile_from_case
from huiqi.engine.python.pyeval import evaluate_policy
from huiqi.engine.single.program import Program
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.sql.sources import source_files
from huiqi.errors import PolicyError, RuleCompileError
from huiqi.policies.loader import load_policy_text

DATA_YEAR = 2024


@pytest.mark.parametrize(
    ("rule", "relaxed"),
    [
        ("revenue >= 1000000", "revenue >= 800000.0"),
        ("revenue > 1000000", "revenue >= 800000.0"),
        ("revenue <= 1000000", "revenue <= 1200000.0"),
        ("1000000 <= revenue", "revenue >= 800000.0"),
        ("rd_expense >= 0.03 * revenue", "rd_expense >= 0.024 * revenue AND revenue > 0"),
        (
            "rd_expense > rd_expense[-1]",
            "rd_expense >= 0.8 * rd_expense[-1] AND rd_expense[-1] > 0",
        ),
        ("COALESCE(compute_rent, 0) >= 50000", "COALESCE(compute_rent, 0) >= 40000.0"),
        ("revenue BETWEEN 100 AND 200", "revenue BETWEEN 80.0 AND 240.0"),
        ("employees >= 1 AND rent_paid > 0", "employees >= 0.8 AND rent_paid > 0"),
        # Never a near miss: a threshold of 0, statuses, scope and personal fields, codes.
        ("rent_paid > 0", None),
        ("NOT credit_dishonest", None),
        ("years_since(registration_date) < 3", None),
        ("founder_age <= 35", None),
        ("district_code = '310115'", None),
        ("size_class IN ('small', 'micro')", None),
        ("holds(high_tech)", None),
        ("revenue >= 1000000 OR employees >= 10", None),
        ("revenue >= 1000000 AND NOT credit_dishonest", None),
        # Regression (QA): a ratio written with a division was never a near miss.
        ("rd_expense / revenue >= 0.03", "rd_expense >= 0.024 * revenue AND revenue > 0"),
        ("0.1 < rd_staff / employees", "rd_staff >= 0.08 * employees AND employees > 0"),
        ("rd_expense / revenue <= 0", None),  # a threshold of 0 has no margin
        ("rd_expense / 2 >= 100", None),  # not a ratio of two figures
        ("rd_expense / revenue >= -1", None),
    ],
)
def test_a_criterion_is_relaxed_only_when_it_is_a_numeric_threshold(
    rule: str, relaxed: str | None
) -> None:
    got = relaxed_rule(parse_rule(rule), Decimal("0.2"))
    assert (got.sql() if got is not None else None) == relaxed


def _policy(crits: list[tuple[str, str]], keys: dict[str, dict[str, str]] | None = None) -> Any:
    return compile_yaml(policy_yaml(crits, data_year=DATA_YEAR, keys=keys))


def _both(cp: Any, case: dict[str, Any]) -> str:
    """The status from the reference evaluator, checked against the one-enterprise path."""
    prof = profile_from_case(case, data_year=DATA_YEAR, seq=1)
    want = evaluate_policy(cp, prof).status
    got = Program([cp]).evaluate(prof)[0].status
    assert got == want
    return want


MONEY = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    district=st.sampled_from(["310115", "310104"]),
    dishonest=st.booleans(),
    revenue=MONEY,
    attainable=st.booleans(),
)
def test_a_dishonest_or_out_of_scope_enterprise_is_never_a_near_miss(
    district: str, dishonest: bool, revenue: Decimal, attainable: bool
) -> None:
    keys = {"ht": {"attainable": "true"}} if attainable else None
    cp = _policy(
        [
            ("here", "district_code = '310115'"),
            ("honest", "NOT credit_dishonest"),
            ("big", "revenue >= 1000000"),
            ("ht", "holds(high_tech)"),
        ],
        keys,
    )
    case = {
        "district_code": district,
        "credit_dishonest": dishonest,
        "revenue": revenue,
    }
    status = _both(cp, case)
    if dishonest or district != "310115":
        assert status == "not_eligible"


@settings(max_examples=120, deadline=None)
@given(
    threshold=st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2),
    percent=st.decimals(min_value=0, max_value=100, places=1),
    revenue=MONEY,
)
def test_a_failing_threshold_is_a_near_miss_exactly_within_its_margin(
    threshold: Decimal, percent: Decimal, revenue: Decimal
) -> None:
    margin = percent / 100
    cp = _policy([("big", f"revenue >= {threshold}")], {"big": {"margin": f"'{percent}%'"}})
    status = _both(cp, {"revenue": revenue})
    bound = threshold - threshold * margin  # exact: Decimal, no binary fraction
    if revenue >= threshold:
        assert status == "eligible"
    elif revenue >= bound and margin > 0:
        assert status == "near_miss"
    else:
        assert status == "not_eligible"


# 1000000.03 - 12.5 % = 875000.02625: the first cent inside is 875000.03.
BOUNDARY_CASES = {
    "875000.02": "not_eligible",
    "875000.03": "near_miss",
    "1000000.02": "near_miss",
    "1000000.03": "eligible",
    "0": "not_eligible",
}
INTEGER_CASES = {79: "not_eligible", 80: "near_miss", 99: "near_miss", 100: "eligible"}


@pytest.mark.parametrize("backend_name", [n for n in backend_names() if n != "python"])
def test_every_backend_decides_the_margin_bound_exactly(backend_name: str, tmp_path: Path) -> None:
    backend = backend_or_skip_reason(backend_name)
    if isinstance(backend, str):
        pytest.skip(backend)
    money = _policy([("big", "revenue >= 1000000.03")], {"big": {"margin": "12.5%"}})
    staff = compile_yaml(
        policy_yaml(
            [("staff", "employees >= 100"), ("honest", "NOT credit_dishonest")],
            policy_id="staff",
            data_year=DATA_YEAR,
        )
    )
    cases = [{"revenue": Decimal(v)} for v in BOUNDARY_CASES] + [
        {"employees": n, "credit_dishonest": False} for n in INTEGER_CASES
    ]
    cases.append({"employees": 99, "credit_dishonest": True})
    population = [profile_from_case(c, data_year=DATA_YEAR, seq=i) for i, c in enumerate(cases, 1)]
    want = {
        (e.policy_id, e.uscc): e.status
        for e in get_backend("python").evaluate(population, [money, staff])
    }
    chosen = None if backend.supports_bulk else [p.uscc for p in population]
    source = (
        Snapshot(7, source_files(population, tmp_path))
        if backend.supports_snapshots
        else population
    )
    got = {
        (e.policy_id, e.uscc): e.status
        for e in backend.evaluate(source, [money, staff], usccs=chosen)
    }
    assert got == want
    n = len(BOUNDARY_CASES)
    assert [want[("p", p.uscc)] for p in population[:n]] == list(BOUNDARY_CASES.values())
    staff_status = [want[("staff", p.uscc)] for p in population[n:]]
    assert staff_status == [*INTEGER_CASES.values(), "not_eligible"]


def _with_keys(expr: str, keys: dict[str, str]) -> tuple[str, int]:
    """Policy text with one criterion carrying ``keys``, and the line of the first key."""
    text = policy_yaml([("c", expr)], keys={"c": keys})
    first = next(iter(keys))
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith(first))
    return text, line


@pytest.mark.parametrize(
    ("keys", "expr", "message"),
    [
        ({"margin": "10%"}, "NOT credit_dishonest", "'margin' applies to numeric thresholds"),
        ({"margin": "10%"}, "rent_paid > 0", "its thresholds are 0"),
        ({"attainable": "true"}, "revenue >= 1", "reads other fields: remove 'attainable'"),
    ],
)
def test_a_near_miss_key_where_it_means_nothing_is_refused_with_its_place(
    keys: dict[str, str], expr: str, message: str
) -> None:
    text, line = _with_keys(expr, keys)
    with pytest.raises(RuleCompileError) as err:
        compile_yaml(text)
    assert message in str(err.value)
    loc = err.value.location
    # The position of the key's value, as for every other policy field.
    column = len(f"    {next(iter(keys))}: ") + 1
    assert loc is not None and (loc.line, loc.column) == (line, column)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.1", "margin must be a percentage of the threshold such as '10%'"),
        # Regression: the value was shown as Python writes it, "not Decimal('0.1')".
        ("0.1", "or 0 for never a near miss, not 0.1: write 10%"),
        ("0.125", "not 0.125: write 12.5%"),
        ("15", "not 15: write 15%"),
        ("-0.5", "or 0 for never a near miss, not -0.5"),
        ("'150%'", "margin is at most 100%"),
        ("'-5%'", "margin must be a percentage"),
        ("true", "margin must be a percentage"),
        # Regression (QA, qa7): the input method's full-width sign, with no advice.
        ("10％", "not '10％': write 10% with an ASCII '%' ('％' is full-width)"),
    ],
)
def test_a_margin_that_is_not_a_percentage_is_refused_with_its_place(
    value: str, message: str
) -> None:
    text, line = _with_keys("revenue >= 1", {"margin": value})
    with pytest.raises(PolicyError) as err:
        load_policy_text(text, "p.yaml")
    assert message in str(err.value)
    loc = err.value.location
    assert loc is not None and loc.line == line


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"margin": "10%", "attainable": "true"}, "one or the other"),
        ({"scope": "true", "margin": "10%"}, "is never a near miss: remove"),
    ],
)
def test_near_miss_keys_that_contradict_are_refused(keys: dict[str, str], message: str) -> None:
    text, _ = _with_keys("revenue >= 1", keys)
    with pytest.raises(PolicyError, match=message):
        load_policy_text(text, "p.yaml")


@pytest.mark.parametrize(
    ("rd_expense", "status"),
    [("30", "eligible"), ("24", "near_miss"), ("23.99", "not_eligible")],
)
def test_a_ratio_written_with_a_division_is_a_near_miss_within_its_margin(
    rd_expense: str, status: str
) -> None:
    """QA: ``rd_expense / revenue >= 0.03`` (the share ``rd_expense >= 0.03 * revenue``
    written as a ratio) was never actionable: 2.4 % of revenue was not_eligible."""
    cp = _policy([("rd_intensity", "rd_expense / revenue >= 0.03")])
    assert _both(cp, {"revenue": "1000", "rd_expense": rd_expense}) == status
    # Revenue of 0: the ratio is unknown, never a near miss.
    assert _both(cp, {"revenue": "0", "rd_expense": rd_expense}) == "needs_data"
