"""The import's DuckDB session: memory bounded by a checked setting, spilling into a private
folder of the data directory that is gone after the import."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ConfigError
from huiqi.profiles import uscc
from huiqi.profiles.importdb import (
    MEMORY_ENV,
    THREADS_ENV,
    configure,
    import_scratch,
    memory_limit,
    threads,
)
from huiqi.profiles.importer import import_file

SIZE = re.compile(r"[0-9]+(\.[0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


@given(st.text(max_size=20))
def test_memory_limit_is_a_size_or_a_clear_refusal(value: str) -> None:
    try:
        chosen = memory_limit({MEMORY_ENV: value})
    except ConfigError as exc:
        assert MEMORY_ENV in exc.message and "e.g. 1GB" in exc.message
        assert not SIZE.fullmatch(value.strip())
    else:
        assert chosen == (value.strip() or "1GB")
        assert "'" not in chosen  # it is written into a SET statement


@given(st.text(max_size=6))
def test_threads_is_a_positive_number_or_a_clear_refusal(value: str) -> None:
    try:
        count = threads({THREADS_ENV: value})
    except ConfigError as exc:
        assert THREADS_ENV in exc.message
    else:
        assert count is None if not value.strip() else count == int(value.strip()) >= 1


def test_session_is_bounded_and_its_scratch_folder_removed(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "it's data")  # a quote in the path stays a path
    with import_scratch(settings) as scratch, duckdb.connect() as con:
        configure(con, scratch)
        limit, order, temp = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order'),"
            " current_setting('temp_directory')"
        ).fetchone() or (None, None, None)
        assert scratch.is_dir() and (scratch.stat().st_mode & 0o777) == 0o700
    assert limit == "953.6 MiB"  # 1GB, in DuckDB's words
    assert order is False
    assert temp == str(scratch / "spill")
    assert not scratch.exists()


def test_import_leaves_no_scratch_folder_and_refuses_a_bad_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "market.csv"
    path.write_text(f"统一社会信用代码,企业名称\n{uscc.make('91310115MA1H8R7C4')},甲\n", "gbk")
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert (report.reader, report.rows_accepted) == ("duckdb", 1)
    assert list((settings.data_dir / "tmp").iterdir()) == []
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(ConfigError, match="HUIQI_IMPORT_MEMORY_LIMIT='lots' is not a size"):
        import_file(settings, path)
