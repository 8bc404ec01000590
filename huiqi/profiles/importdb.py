"""The import's DuckDB session: bounded memory, spilling to the data directory.

An import stages, checks and sorts millions of rows in temporary tables. Left to
its defaults DuckDB keeps them all in memory (up to 80 % of the machine); here it
is held to ``HUIQI_IMPORT_MEMORY_LIMIT`` (default 1GB) and writes what does not fit
to a private folder under the data directory, removed after the import.
``HUIQI_IMPORT_THREADS`` sets its threads (default: one per core). Row order is
not kept where it is not needed (``preserve_insertion_order = false``), which
lets DuckDB stream instead of buffering.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from huiqi.config import Settings
from huiqi.errors import ConfigError
from huiqi.fsmode import private_dir

MEMORY_ENV = "HUIQI_IMPORT_MEMORY_LIMIT"
THREADS_ENV = "HUIQI_IMPORT_THREADS"
DEFAULT_MEMORY = "1GB"
_SIZE = re.compile(r"[0-9]+(\.[0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def memory_limit(env: dict[str, str] | None = None) -> str:
    """The import's DuckDB memory limit, checked (it is written into a SET statement)."""
    value = (env if env is not None else os.environ).get(MEMORY_ENV, "").strip()
    if not value:
        return DEFAULT_MEMORY
    if not _SIZE.fullmatch(value):
        raise ConfigError(
            f"{MEMORY_ENV}={value!r} is not a size; write a number and a unit, e.g. 1GB or 800MB"
        )
    return value


def threads(env: dict[str, str] | None = None) -> int | None:
    value = (env if env is not None else os.environ).get(THREADS_ENV, "").strip()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
        raise ConfigError(f"{THREADS_ENV}={value!r} is not a number of threads; write e.g. 2")
    return int(value)


@contextmanager
def import_scratch(settings: Settings) -> Iterator[Path]:
    """A private folder under the data directory for one import (removed afterwards)."""
    scratch = settings.data_dir / "tmp" / f"import-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    private_dir(scratch)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def configure(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    """Bound the connection's memory and let it spill into ``scratch``."""
    # The values are checked above; SET takes no parameters. A quote in the data
    # directory's path is doubled, as SQL string literals require.
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    con.execute("SET temp_directory = '" + str(scratch / "spill").replace("'", "''") + "'")
    con.execute("SET preserve_insertion_order = false")
    count = threads()
    if count is not None:
        con.execute(f"SET threads = {count}")
