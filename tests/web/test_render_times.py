"""The portal's pages show a stored (UTC) timestamp in China time; a date stays a date."""

from __future__ import annotations

import datetime as dt

from huiqi.web.render import environment


def test_the_day_filter_shows_a_timestamp_in_china_time() -> None:
    """Regression: pages showed the stored UTC time, eight hours behind the officer's clock
    (and a day behind between 16:00 and 24:00 UTC)."""
    day = environment("zh-CN").filters["day"]
    assert day(dt.datetime(2026, 12, 2, 16, 15)) == "2026-12-03 00:15"
    assert day(dt.date(2026, 12, 2)) == "2026-12-02"
    assert day(None) == "—"


def test_a_date_column_shows_the_day_in_china_alone() -> None:
    """Regression (QA): a payment the bank dated 2026-12-04 read '2026-12-04 08:00' under
    拨付日期, a time nobody gave; a grant made at 16:30 UTC is dated the next day in China."""
    day = environment("zh-CN").filters["calendar_day"]
    assert day(dt.datetime(2026, 12, 4)) == "2026-12-04"
    assert day(dt.datetime(2026, 12, 3, 16, 30)) == "2026-12-04"
    assert day(dt.date(2026, 12, 2)) == "2026-12-02" and day(None) == "—"
