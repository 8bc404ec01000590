"""A comparison of ratios is exact (compile/ratios): a rate exactly at its threshold meets it.

Regression: a quotient was a binary float, so the layoff rate of 沪府办规〔2024〕4号 written
as the document states it, ``1 - (insured_employees + natural_attrition) /
insured_employees[-1] <= 0.055``, was 0.05500000000000005 for 185 insured, 4 retired
and 200 a year earlier, and an employer at exactly the allowed 5.5 % was not eligible.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from backends_available import backend_or_skip_reason
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine.backend import backend_names
from huiqi.engine.profile import RawProfile

BACKENDS = sorted(set(backend_names()) - {"cupy"})


def _profile(n: int, **years: dict[int, object]) -> RawProfile:
    by_year: dict[int, dict[str, object]] = {}
    for name, values in years.items():
        for year, value in values.items():
            by_year.setdefault(year, {})[name] = value
    return RawProfile(
        uscc=f"91310115MA1H8R{n:04d}",
        static={"registration_date": dt.date(2020, 1, 1)},
        years=by_year,
    )


def _values(backend: str, expr: str, profiles: list[RawProfile]) -> list[bool | None]:
    ready = backend_or_skip_reason(backend)
    if isinstance(ready, str):
        pytest.skip(ready)
    policy = compile_yaml(policy_yaml([("c", expr)], data_year=2025))
    by = {r.uscc: r.values[0] for r in ready.evaluate(profiles, [policy])}
    return [by[p.uscc] for p in profiles]


LAYOFF_RATE = "1 - (insured_employees + natural_attrition) / insured_employees[-1] <= 0.055"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_layoff_rate_of_exactly_the_threshold_is_allowed(backend: str) -> None:
    profiles = [
        _profile(1, insured_employees={2024: 200, 2025: 185}, natural_attrition={2025: 4}),
        _profile(2, insured_employees={2024: 200, 2025: 185}, natural_attrition={2025: 3}),
        _profile(3, insured_employees={2024: 0, 2025: 185}, natural_attrition={2025: 4}),
        _profile(4, insured_employees={2025: 185}, natural_attrition={2025: 4}),
    ]
    # 5.5 % exactly; 6 %; a headcount of 0 last year and a missing one are unknown.
    assert _values(backend, LAYOFF_RATE, profiles) == [True, False, None, None]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_denominator_that_can_be_negative_keeps_the_comparison_the_right_way(
    backend: str,
) -> None:
    expr = "employees / (employees - employees[-1]) > 2"
    profiles = [
        _profile(1, employees={2024: 20, 2025: 30}),  # 30 / 10 = 3
        _profile(2, employees={2024: 20, 2025: 10}),  # 10 / -10 = -1
        _profile(3, employees={2024: 40, 2025: 10}),  # 10 / -30 = -1/3
        _profile(4, employees={2024: 10, 2025: 10}),  # divides by 0
    ]
    assert _values(backend, expr, profiles) == [True, False, False, None]


def test_a_comparison_too_wide_to_clear_its_divisions_still_compiles() -> None:
    # Cleared, it would multiply four money fields (more than 38 digits): the float stays.
    expr = "revenue * revenue / (total_assets * total_cost) > rd_expense / employees"
    profiles = [
        _profile(
            1,
            revenue={2025: 10},
            total_assets={2025: 2},
            total_cost={2025: 5},
            rd_expense={2025: 3},
            employees={2025: 2},
        )
    ]
    assert _values("duckdb", expr, profiles) == _values("python", expr, profiles) == [True]


_OPS = {
    "<": Fraction.__lt__,
    "<=": Fraction.__le__,
    ">": Fraction.__gt__,
    ">=": Fraction.__ge__,
    "=": Fraction.__eq__,
    "<>": Fraction.__ne__,
}


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 400), st.integers(0, 40)),
        min_size=1,
        max_size=6,
    ),
    op=st.sampled_from(sorted(_OPS)),
    rate=st.decimals(min_value=0, max_value=2, places=3),
)
def test_ratios_compare_as_exact_fractions(
    rows: list[tuple[int, int, int]], op: str, rate: object
) -> None:
    expr = f"1 - (insured_employees + natural_attrition) / insured_employees[-1] {op} {rate}"
    profiles = [
        _profile(n, insured_employees={2024: last, 2025: now}, natural_attrition={2025: gone})
        for n, (last, now, gone) in enumerate(rows)
    ]
    want = [
        None if last == 0 else _OPS[op](1 - Fraction(now + gone, last), Fraction(str(rate)))
        for last, now, gone in rows
    ]
    for backend in ("numpy", "python"):
        assert _values(backend, expr, profiles) == want
