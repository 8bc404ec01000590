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
