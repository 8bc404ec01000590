"""The one clock of the operational database: naive UTC timestamps."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# The time officers and enterprises live by (China Standard Time, no daylight saving):
# what every page and listing shows; the database and JSON keep UTC.
CHINA = dt.timezone(dt.timedelta(hours=8), "UTC+8")


def china_day(at: dt.datetime) -> dt.date:
    """The day in China of a timestamp (naive UTC as stored, or aware): a grant made at
    16:59 UTC was made on the next day there."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).date()


def shown(at: dt.datetime, *, seconds: bool = False) -> str:
    """A timestamp (naive UTC as stored, or aware) as people in China read it."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
