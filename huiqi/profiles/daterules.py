"""Date rules for imports: how a date cell's text is read, and why one is refused.

Year, month and day in that order: ``2023-01-05``, ``2023/1/5`` (what a Chinese-locale
Excel writes), ``2023.1.5``, ``2023年1月5日`` or ``20230105``, optionally with a midnight
time; a real calendar date between 1900 and 2100. A day-first or month-first date
(``5/1/2023``) is refused: it is ambiguous. :mod:`huiqi.profiles.validate` applies them
to a date field, :mod:`huiqi.profiles.linkrules` to a link record's dates.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from huiqi import clock
from huiqi.profiles.numberrules import FULL_WIDTH, HALF_WIDTH, is_, quoted
from huiqi.profiles.sqlexpr import (
    case,
    cast,
    concat,
    fn,
    is_null,
    lit,
    matches,
    not_,
    num,
    try_cast,
)

DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
DATE_FORMATS = "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD"

# Year, month, day in that order (never day-first: '5/1/2023' stays refused): ISO dashes,
# slashes (what a Chinese-locale Excel writes: 2023/1/5), dots, 2023年1月5日 and YYYYMMDD,
# optionally followed by a midnight time (a database export's '2023-01-05 00:00:00').
_MIDNIGHT = r"[ T]0?0:00(?::00(?:\.0+)?)?"
DATE_SHAPE = (
    r"[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|\.[0-9]{1,2}\.[0-9]{1,2}"
    rf"|年[0-9]{{1,2}}月[0-9]{{1,2}}日?|[0-9]{{4}})(?:{_MIDNIGHT})?"
)


def date_rule(v: exp.Expression) -> tuple[exp.Expression, list]:
    # A date typed with a Chinese input method's full-width digits and marks
    # (２０２３／１／５, ２０２３－０１－０５) is read as its ASCII form, as a number or a year
    # is; a plain translate, not the regex of ``half_width``, since every cell of a date
    # column reaches the shape check.
    w = fn("translate", v, lit(FULL_WIDTH + "／"), lit(HALF_WIDTH + "/"))
    # '2023年1月5日 0:00:00' ends in both: drop the time, then the 日 before it.
    day = fn("regexp_replace", w, lit(f"日?(?:{_MIDNIGHT})?$"), lit(""))
    dashed = fn("regexp_replace", day, lit("[/.年月]"), lit("-"), lit("g"))
    month, mday = (
        fn("lpad", fn("split_part", dashed, lit("-"), num(n)), num(2), lit("0")) for n in (2, 3)
    )
    iso = case(
        # The usual writings first: they need no rewriting.
        (matches(v, r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), v),
        (
            matches(w, r"[0-9]{8}"),
            concat(
                fn("substr", w, num(1), num(4)),
                "-",
                fn("substr", w, num(5), num(2)),
                "-",
                fn("substr", w, num(7), num(2)),
            ),
        ),
        default=concat(fn("split_part", dashed, lit("-"), num(1)), "-", month, "-", mday),
    )
    parsed = try_cast(iso, "DATE")
    out_of_range = not_(
        exp.Between(
            this=parsed,
            low=cast(lit(DATE_MIN.isoformat()), "DATE"),
            high=cast(lit(DATE_MAX.isoformat()), "DATE"),
        )
    )
    # A date cell without a date format shows Excel's serial number (days from
    # 1899-12-30): 43831 is 2020-01-01. Say so, with the date, rather than only "not a
    # date" (whether it is Excel's count or another is the office's to confirm).
    serial = exp.Add(
        this=cast(lit("1899-12-30"), "DATE"),
        expression=try_cast(fn("regexp_replace", v, lit(r"\.0+$"), lit("")), "INTEGER"),
    )
    checks = [
        (
            matches(v, r"[1-7][0-9]{4}(\.0+)?"),
            concat(
                quoted(v),
                " is not a date but looks like an Excel date serial number (",
                cast(serial, "VARCHAR"),
                "): format the column as a date in Excel, or write the date as YYYY-MM-DD,"
                " and import again",
            ),
        ),
        (
            # 05/06/2021: 5 June or 6 May? Said apart, as the refusal it is, not "not a date".
            matches(w, r"[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}"),
            concat(
                quoted(v),
                " is written day or month first, which is ambiguous: write it year first"
                f" from the source ({DATE_FORMATS}) and import again",
            ),
        ),
        (
            not_(matches(w, DATE_SHAPE)),
            concat(quoted(v), f" is not a date; accepted formats: {DATE_FORMATS}"),
        ),
        (is_null(parsed), concat(quoted(v), " is not a real calendar date")),
        (
            out_of_range,
            concat(quoted(v), f" is outside {DATE_MIN.isoformat()}..{DATE_MAX.isoformat()}"),
        ),
    ]
    return parsed, checks


# Dates of what has already happened: a registry cannot record a founding, or a move into
# the city, after the day it is imported. (An office's own date fields may well lie ahead:
# a lease's end, a certificate's expiry.)
PAST_DATES = {"registration_date": "a registration", "relocated_in_date": "a move into the city"}


def not_after_today(
    v: exp.Expression, parsed: exp.Expression, event: str
) -> tuple[exp.Expression, exp.Expression]:
    today = clock.today()
    return (
        is_(exp.GT(this=parsed, expression=cast(lit(today.isoformat()), "DATE"))),
        concat(
            quoted(v),
            f" is after today ({today.isoformat()}): {event} cannot be dated in the future;"
            " correct the date in the source and import again",
        ),
    )
