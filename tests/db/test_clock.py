"""Timestamps are stored in UTC and shown in China time (UTC+8), the time officers and
enterprises live by."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from huiqi.db.clock import CHINA, shown


def test_a_stored_utc_time_is_shown_as_the_time_in_china() -> None:
    """Regression: a batch exported at 00:15 on 3 December in Shanghai was listed as
    "2026-12-02 16:15" while the payment check named its day as 2026-12-03."""
    assert shown(dt.datetime(2026, 12, 2, 16, 15)) == "2026-12-03 00:15"
    assert shown(dt.datetime(2026, 12, 2, 16, 15, 9), seconds=True) == "2026-12-03 00:15:09"
    aware = dt.datetime(2026, 12, 3, 0, 15, tzinfo=CHINA)
    assert shown(aware) == "2026-12-03 00:15"


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_the_shown_time_is_eight_hours_after_utc(at: dt.datetime) -> None:
    assert shown(at, seconds=True) == f"{at + dt.timedelta(hours=8):%Y-%m-%d %H:%M:%S}"
