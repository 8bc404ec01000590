"""The command line lists times in China time, as the portal shows them; --json keeps UTC."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, run
from sqlalchemy import select

from huiqi.config import get_settings
from huiqi.db.clock import shown
from huiqi.db.engine import open_database, reading
from huiqi.delivery.models import Event


def test_the_audit_log_lists_its_events_in_china_time(tmp_path: Path) -> None:
    """Regression: listings printed the stored UTC time, eight hours behind the officer's
    clock, beside dates (paid dates, deadlines) that are days in China."""
    data = tmp_path / "data"
    admin = accounts(data)["admin"]
    with reading(open_database(get_settings(data))) as s:
        first = s.scalars(select(Event).order_by(Event.id).limit(1)).one()
    code, out = run(data, "audit", "log", token=admin)
    assert code == 0, out
    line = next(x for x in out.splitlines() if x.split() and x.split()[0] == str(first.id))
    assert shown(first.at, seconds=True) in line
    assert f"{first.at:%Y-%m-%d %H:%M:%S}" not in line  # eight hours apart, never the same
