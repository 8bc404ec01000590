"""A boolean CASE without ELSE (or with ``THEN NULL``) under NOT, in the array backend.

Regression: the array backend filled a boolean CASE's missing branch with an integer 0,
so the CASE's data became integers, and NOT (a bitwise ~) of integer 1 is -2, which
read as true: ``NOT (CASE WHEN employees > 0 THEN TRUE END)`` was true for an
enterprise with employees, where DuckDB and the reference evaluator say false, and
``huiqi policy lint`` refused a valid criterion as a backend disagreement.
"""

from __future__ import annotations

import datetime as dt

import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.engine import get_backend
from huiqi.engine.profile import RawProfile

_PROFILES = [
    RawProfile(
        uscc=f"91310115MA1H8R7C{n:02d}",
        static={"registration_date": dt.date(2020, 1, 1), "founder_age": age},
        years={2024: {"employees": employees}},
    )
    for n, (employees, age) in enumerate([(0, 30), (5, 30), (None, 30), (5, None), (50, 60)])
]


def _values(backend: str, expr: str) -> list[bool | None]:
    policy = compile_yaml(policy_yaml([("c", expr)]))
    rows = get_backend(backend).evaluate(_PROFILES, [policy])
    by = {r.uscc: r.values[0] for r in rows}
    return [by[p.uscc] for p in _PROFILES]


@pytest.mark.parametrize(
    "expr",
    [
        "NOT (CASE WHEN employees > 0 THEN TRUE END)",
        "NOT (CASE WHEN employees > 0 THEN NULL ELSE founder_age < 40 END)",
        "NOT (IF(employees > 0, founder_age < 40, NULL))",
    ],
)
def test_not_of_a_boolean_case_with_a_null_branch_agrees_with_the_reference(expr: str) -> None:
    assert _values("numpy", expr) == _values("python", expr)


_CONDITION = st.sampled_from(
    ["employees > 0", "employees >= 5", "founder_age < 40", "employees IS NULL", "TRUE", "FALSE"]
)
_BRANCH = st.sampled_from(["TRUE", "FALSE", "NULL", "founder_age < 40", "employees = 5"])


@st.composite
def _boolean_case(draw: st.DrawFn) -> str:
    whens = draw(st.lists(st.tuples(_CONDITION, _BRANCH), min_size=1, max_size=3))
    text = "CASE " + " ".join(f"WHEN {c} THEN {b}" for c, b in whens)
    default = draw(st.none() | _BRANCH)
    text += (f" ELSE {default}" if default is not None else "") + " END"
    return "NOT " * draw(st.integers(0, 2)) + f"({text})"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_boolean_case())
def test_boolean_cases_mean_the_same_in_the_array_backend(expr: str) -> None:
    assert _values("numpy", expr) == _values("python", expr)
