"""Working days in China: the State Council's holidays and make-up working days (调休).

The calendar is the maintained ``chinesecalendar`` package, never a hand-written list: a
weekday may be a holiday (春节) and a Saturday a working day (the make-up days around it).
The package covers the years its release knows. A date before them is refused with
:class:`CalendarRangeError`. A date after them is the common case every December (the
State Council publishes next year's holidays late in the year, and the package follows):
an enterprise's request must not be refused for it, so such a day counts as a working day
when it is Monday to Friday, and :func:`is_provisional` says so; the filing records the
deadline as provisional, and updating the package makes later deadlines exact.

Deadlines are dates in China (UTC+8, no daylight saving): :func:`china_date` turns the
database's naive UTC timestamps into the day a person in Shanghai would name.

>>> import datetime as dt
>>> add_working_days(dt.date(2026, 2, 13), 1)  # Friday before 春节: Saturday 14th is worked
datetime.date(2026, 2, 14)
"""

from __future__ import annotations

import datetime as dt
import functools

from huiqi.errors import HuiqiError

CHINA = dt.timezone(dt.timedelta(hours=8))
MAX_DAYS = 366  # working days any one deadline may span


class CalendarRangeError(HuiqiError):
    """A date outside the years the holiday calendar covers."""


@functools.cache
def covered_years() -> tuple[int, int]:
    """The first and last year the installed holiday calendar knows."""
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return min(years), max(years)


def _check(day: dt.date) -> None:
    first, last = covered_years()
    if day.year < first:
        raise CalendarRangeError(
            f"{day.isoformat()} is outside the official holiday calendar, which covers"
            f" {first}–{last}; a date before {first} has no deadline here"
        )


def is_provisional(day: dt.date) -> bool:
    """Whether ``day`` lies after the installed calendar's last year (its working days are
    Monday to Friday until the package knows that year's holidays)."""
    return day.year > covered_years()[1]


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day (make-up Saturdays included, holidays excluded;
    Monday to Friday after the calendar's last year: :func:`is_provisional`)."""
    from chinese_calendar import is_workday

    _check(day)
    if is_provisional(day):
        return day.weekday() < 5
    return bool(is_workday(day))


def _days(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_DAYS:
        raise HuiqiError(f"a number of working days is a whole number 0–{MAX_DAYS}, not {n!r}")
    return n


@functools.lru_cache(maxsize=8192, typed=True)  # an import asks the same (day, n) often
def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself for 0: the deadline of a
    request filed on a holiday counts from the next working day, as offices do)."""
    day = start
    left = _days(n)
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days are in (start, end]: 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    _check(start)
    _check(end)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def china_date(at: dt.datetime) -> dt.date:
    """The day in China of a naive UTC timestamp (or an aware one)."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).date()
