"""Working-day arithmetic on the official calendar: the 2026 Spring Festival (15–23 Feb,
worked Saturdays 14 and 28 Feb), National Day, and dates the calendar does not cover."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.desk.workdays import (
    CalendarRangeError,
    add_working_days,
    china_date,
    covered_years,
    is_provisional,
    is_working_day,
    working_days_between,
)
from huiqi.errors import HuiqiError

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 2, 12), 1, D(2026, 2, 13)),  # Thursday -> Friday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday -> the make-up Saturday
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # across the whole Spring Festival
        (D(2026, 2, 13), 5, D(2026, 2, 27)),  # 14th, then 24, 25, 26, 27
        (D(2026, 2, 13), 6, D(2026, 2, 28)),  # the second make-up Saturday
        (D(2026, 2, 13), 7, D(2026, 3, 2)),  # Sunday 1 March is not worked
        (D(2026, 2, 17), 1, D(2026, 2, 24)),  # filed during the holiday
        (D(2026, 2, 17), 0, D(2026, 2, 17)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # National Day (1–7 Oct)
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # a worked Sunday before it
    ],
)
def test_adding_working_days_skips_holidays_and_counts_make_up_days(
    start: dt.date, n: int, due: dt.date
) -> None:
    assert add_working_days(start, n) == due


def test_spring_festival_2026_days() -> None:
    assert is_working_day(D(2026, 2, 14)) and is_working_day(D(2026, 2, 28))
    assert not any(is_working_day(D(2026, 2, d)) for d in range(15, 24))
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6


def test_a_date_before_the_calendar_is_refused_with_the_years_it_covers() -> None:
    first, last = covered_years()
    assert first <= 2026 <= last
    with pytest.raises(CalendarRangeError, match=rf"covers {first}–{last}; a date before"):
        is_working_day(D(first - 1, 6, 1))


def test_after_the_calendar_weekdays_count_and_the_deadline_is_provisional() -> None:
    """Every December the next year's holidays are not yet in the package: requests filed
    then still get a deadline (Monday to Friday), marked provisional, never a refusal."""
    _, last = covered_years()
    assert not is_provisional(D(last, 12, 31))
    new_year = D(last + 1, 1, 1)
    assert is_provisional(new_year)
    friday = D(last + 1, 1, 1) + dt.timedelta(days=(4 - new_year.weekday()) % 7)
    assert is_working_day(friday) and not is_working_day(friday + dt.timedelta(days=1))
    assert add_working_days(friday, 1) == friday + dt.timedelta(days=3)  # the Monday
    assert working_days_between(friday, friday + dt.timedelta(days=7)) == 5


@pytest.mark.parametrize("n", [-1, 367, 1.5, True, "2"])
def test_a_bad_number_of_days_is_refused(n: object) -> None:
    with pytest.raises(HuiqiError, match="whole number"):
        add_working_days(D(2026, 3, 2), n)  # type: ignore[arg-type]


def test_china_date_is_utc_plus_eight() -> None:
    assert china_date(dt.datetime(2026, 2, 13, 15, 59)) == D(2026, 2, 13)
    assert china_date(dt.datetime(2026, 2, 13, 16, 0)) == D(2026, 2, 14)


days = st.dates(min_value=D(2005, 1, 1), max_value=D(2026, 9, 30))
counts = st.integers(min_value=0, max_value=40)


@settings(deadline=None)  # a loaded CI machine: the first calendar lookups load the package
@given(days, st.integers(min_value=1, max_value=40))
def test_adding_working_days_lands_on_a_working_day_n_working_days_later(
    start: dt.date, n: int
) -> None:
    due = add_working_days(start, n)
    assert due > start
    assert is_working_day(due)
    assert working_days_between(start, due) == n
    assert working_days_between(start, due - dt.timedelta(days=1)) == n - 1


@settings(deadline=None)
@given(days, counts, counts)
def test_adding_working_days_is_monotone_and_composes(start: dt.date, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert add_working_days(start, lo) <= add_working_days(start, hi)
    if a:
        assert add_working_days(add_working_days(start, a), b) == add_working_days(start, a + b)


@settings(deadline=None)
@given(days, days)
def test_later_start_never_gives_earlier_deadline(x: dt.date, y: dt.date) -> None:
    a, b = sorted((x, y))
    assert add_working_days(a, 3) <= add_working_days(b, 3)


def test_a_cached_count_does_not_let_true_pass_for_one() -> None:
    """The deadline cache is typed: True is refused even after 1 was computed."""
    assert add_working_days(D(2026, 3, 2), 1) == D(2026, 3, 3)
    with pytest.raises(HuiqiError, match="whole number"):
        add_working_days(D(2026, 3, 2), True)
