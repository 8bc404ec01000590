"""The day huiqi takes as today (huiqi.clock): the environment's HUIQI_TODAY, else the data
directory's ``today`` file, else the machine's date; a value that is not a date is refused
with where it was found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi import clock
from huiqi.errors import ConfigError
from huiqi.profiles.datadir import use_data_dir


def test_the_environment_wins_then_the_data_directory_then_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUIQI_TODAY", raising=False)
    assert clock.today() == clock.machine_date()
    clock.fix_day(tmp_path, dt.date(2026, 12, 31))
    use_data_dir(tmp_path)
    assert clock.today() == dt.date(2026, 12, 31)
    monkeypatch.setenv("HUIQI_TODAY", "2026-06-01")
    assert clock.today() == dt.date(2026, 6, 1)
    monkeypatch.setenv("HUIQI_TODAY", "  ")  # empty: not set
    assert clock.today() == dt.date(2026, 12, 31)
    use_data_dir(None)
    assert clock.today() == clock.machine_date()


def test_a_value_that_is_not_a_date_is_refused_with_where_it_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUIQI_TODAY", "2026-13-01")
    with pytest.raises(ConfigError, match=r"HUIQI_TODAY: '2026-13-01' is not a date; write it as"):
        clock.today()
    monkeypatch.delenv("HUIQI_TODAY")
    (tmp_path / "today").write_text("next tuesday\n", "utf-8")
    use_data_dir(tmp_path)
    with pytest.raises(ConfigError, match=f"{tmp_path / 'today'}: 'next tuesday' is not a date"):
        clock.today()


@given(st.text(max_size=30))
def test_any_text_is_a_date_or_a_clear_refusal(text: str) -> None:
    try:
        day = clock.parse(text, "HUIQI_TODAY")
    except ConfigError as err:
        assert "is not a date; write it as YYYY-MM-DD" in str(err)
    else:
        assert isinstance(day, dt.date)


def test_the_machines_day_is_the_day_in_china_whatever_the_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a server on UTC took 16:00-24:00 UTC (the next morning in China) as the
    day before, while the desk and payments already counted the next day."""
    import datetime as dt
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        china = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        assert clock.machine_date() == china
    finally:
        monkeypatch.undo()
        time.tzset()
