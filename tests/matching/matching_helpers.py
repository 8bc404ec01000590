"""Builders for the portal services' tests: a snapshot holding given raw profiles."""

from __future__ import annotations

from pathlib import Path

from huiqi.config import Settings, get_settings
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile, profile_from_case
from huiqi.profiles.store import DATA_TABLES, ProfileStore
from huiqi.profiles.uscc import make


def code(i: int, district: str = "310114") -> str:
    """A valid USCC for enterprise ``i`` registered in ``district``."""
    return make(f"91{district}MA{i:07d}")


def profile(uscc: str, data_year: int = 2025, **fields: object) -> RawProfile:
    """A profile as a policy test case writes one (yearly values are the data year's)."""
    return profile_from_case({"uscc": uscc, **fields}, data_year=data_year)


def snapshot_of(data_dir: Path, profiles: list[RawProfile]) -> tuple[Settings, int]:
    """Freeze a new snapshot holding exactly ``profiles`` (replacing what the store held)."""
    settings = get_settings(data_dir)
    store = ProfileStore(settings)
    store.init()
    with store.connect() as con:
        sid = store.begin_snapshot(con, kind="test")
        for table in DATA_TABLES:
            con.execute(f"DELETE FROM {table}")
        load_profiles_into(con, profiles)
        n = len(profiles)
        store.finish_snapshot(con, sid, rows_read=n, rows_accepted=n, rows_rejected=0)
    return settings, sid
