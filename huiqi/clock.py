"""The day huiqi takes as today: when a policy's window is open, when an offer expires.

It is the date in China (UTC+8), unless a training or demo environment fixes it:

* ``HUIQI_TODAY=YYYY-MM-DD`` in the environment (a whole process, its tests included);
* else a file ``today`` in the data directory in effect, holding one ``YYYY-MM-DD`` line.
  ``huiqi demo`` writes one when its policy library's windows have all closed, so that
  the demo still delivers, offers and expires as it did in the library's year.

A value that is not a date is refused with what was found and where, never ignored: a
ledger that silently ran on the wrong day would grant outside a policy's window.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from huiqi.errors import ConfigError
from huiqi.profiles.datadir import active_data_dir

CHINA = dt.timezone(dt.timedelta(hours=8))
ENV = "HUIQI_TODAY"
FILE = "today"


def today() -> dt.date:
    """Today, as this process and its data directory take it (see the module's text)."""
    text = os.environ.get(ENV, "").strip()
    if text:
        return parse(text, f"the environment variable {ENV}")
    data_dir = active_data_dir()
    if data_dir is not None:
        fixed = fixed_day(data_dir)
        if fixed is not None:
            return fixed
    return machine_date()


def machine_date() -> dt.date:
    """Today's date in China (UTC+8), whatever the machine's time zone: a server on UTC
    took 16:00-24:00 in China as the day before, while the desk, payments and complaints
    already counted the next day."""
    return dt.datetime.now(CHINA).date()


def fixed_day(data_dir: Path) -> dt.date | None:
    """The day fixed by ``<data_dir>/today``, or None where there is no such file."""
    path = data_dir / FILE
    try:
        text = path.read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    return parse(text, str(path))


def fix_day(data_dir: Path, day: dt.date) -> Path:
    """Write ``<data_dir>/today``: the data directory's processes take ``day`` as today."""
    path = data_dir / FILE
    path.write_text(day.isoformat() + "\n", "utf-8")
    return path


def parse(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{where}: {text[:40]!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-06-30),"
            " or remove it to take the machine's date"
        ) from None
