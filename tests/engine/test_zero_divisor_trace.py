"""A ratio whose divisor is 0 is unknown ("needs data", by design: division by zero is
unknown), and the explanation says why: it names the divisor that is 0. It broke: the
trace listed no missing field, so an enterprise with ``employees = 0`` was told it needed
data for ``rd_staff / employees >= 0.1`` without being told which, and there was none
it could supply."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from backends_available import backend_or_skip_reason
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine import CompiledPolicy, PolicyTrace
from huiqi.engine.backend import backend_names
from huiqi.engine.ledger_form import complete, ledger_form
from huiqi.engine.profile import RawProfile

BACKENDS = sorted(set(backend_names()) - {"cupy"})
RATIO = "rd_staff / employees >= 0.1"
SAYS_EN = "employees is 0: rd_staff / employees cannot be computed"
SAYS_ZH = "从业人员（employees）为0，无法计算 rd_staff / employees"


def _policy(expr: str = RATIO) -> CompiledPolicy:
    return compile_yaml(
        policy_yaml([("rd_ratio", expr), ("big", "revenue >= 100")], data_year=2025)
    )


def _profile(n: int, **year: object) -> RawProfile:
    return RawProfile(
        uscc=f"91310115MA1H8R{n:04d}",
        static={"registration_date": dt.date(2020, 1, 1)},
        years={2025: dict(year)},
    )


def _traces(backend: str, cp: CompiledPolicy, profiles: list[RawProfile]) -> list[PolicyTrace]:
    ready = backend_or_skip_reason(backend)
    if isinstance(ready, str):
        pytest.skip(ready)
    by = {t.uscc: t for t in ready.trace(profiles, [cp])}
    return [by[p.uscc] for p in profiles]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_zero_divisor_is_named_and_a_missing_one_is_listed_as_missing(backend: str) -> None:
    zero, absent, fine = _traces(
        backend,
        _policy(),
        [
            _profile(1, rd_staff=3, employees=0, revenue=1000),
            _profile(2, rd_staff=3, revenue=1000),
            _profile(3, rd_staff=3, employees=10, revenue=1000),
        ],
    )

    assert (zero.status, zero.unknown, zero.missing) == ("needs_data", ("rd_ratio",), ())
    assert zero.to_json()["zero_divisors"] == [
        {
            "criterion": "rd_ratio",
            "quotient": "rd_staff / employees",
            "divisor": "employees",
            "columns": ["employees__2025"],
            "text": {"zh": SAYS_ZH, "en": SAYS_EN},
        }
    ]
    # A missing divisor is missing data, not a zero; a known one explains nothing more.
    assert absent.status == "needs_data" and "zero_divisors" not in absent.to_json()
    assert [r.column for r in absent.missing] == ["employees__2025"]
    assert fine.status == "eligible" and fine.zero_divisors == ()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_divisor_of_several_fields_is_named_as_written(backend: str) -> None:
    (trace,) = _traces(
        backend,
        _policy("rd_staff / (employees - college_staff) >= 0.1"),
        [_profile(1, rd_staff=3, employees=7, college_staff=7, revenue=1000)],
    )

    (z,) = trace.zero_divisors
    assert (z.criterion, z.divisor, z.columns) == (
        "rd_ratio",
        "employees - college_staff",
        ("college_staff__2025", "employees__2025"),
    )
    assert z.text_en == (
        "employees - college_staff is 0: rd_staff / (employees - college_staff) cannot be computed"
    )
    assert (
        z.text_zh == "employees - college_staff为0，无法计算 rd_staff / (employees - college_staff)"
    )


def test_a_zero_divisor_is_not_listed_when_another_criterion_fails() -> None:
    (trace,) = _traces("python", _policy(), [_profile(1, rd_staff=3, employees=0, revenue=10)])
    assert trace.status == "not_eligible" and trace.zero_divisors == ()


def test_the_ledger_keeps_the_zero_divisor_and_completes_it_back() -> None:
    (trace,) = _traces("duckdb", _policy(), [_profile(1, rd_staff=3, employees=0, revenue=1000)])
    full = trace.to_json()
    assert trace.ledger["zero_divisors"] == full["zero_divisors"]
    assert complete(ledger_form(full), full) == full
    assert PolicyTrace.from_json(full) == trace


values = st.one_of(st.none(), st.integers(min_value=0, max_value=3))


@settings(max_examples=80, deadline=None)
@given(employees=values, college=values, rd=values)
def test_a_divisor_is_named_exactly_when_it_is_zero_and_leaves_the_ratio_unknown(
    employees: Any, college: Any, rd: Any
) -> None:
    year = {"employees": employees, "college_staff": college, "rd_staff": rd, "revenue": 1000}
    cp = _policy("rd_staff / (employees - college_staff) >= 0.1")
    profile = _profile(1, **{k: v for k, v in year.items() if v is not None})
    for backend in ("python", "single"):
        (trace,) = _traces(backend, cp, [profile])
        zero = employees is not None and college is not None and employees == college
        assert bool(trace.zero_divisors) == zero, (backend, trace)
        if zero:
            assert trace.status == "needs_data" and trace.unknown == ("rd_ratio",)
