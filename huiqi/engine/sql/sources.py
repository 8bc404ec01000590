"""A backend's data as Parquet files, one per source relation, whatever the source.

A snapshot already is such files, but for relations that changed since their base
(their base and delta are written here as one file) and for a snapshot frozen before
relations and contracts were kept (they are written empty here). Profiles held in memory (test
cases, the oracle) are loaded into DuckDB with the store's own schema and written
out, so every backend reads the same types as from a snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from huiqi.engine.profile import RawProfile
from huiqi.engine.snapshot import SOURCES, Snapshot


def source_files(source: Snapshot | Sequence[RawProfile], directory: Path) -> dict[str, Path]:
    """Every relation of SOURCES as a Parquet file; missing ones are written to ``directory``."""
    from huiqi.engine.duckdb.backend import DuckDBBackend

    have = dict(source.files) if isinstance(source, Snapshot) else {}
    if isinstance(source, Snapshot):
        # A relation with a delta is read as one file: the base with the delta laid over.
        for name in source.deltas:
            del have[name]
    missing = [name for name in SOURCES if name not in have]
    if not missing:
        return have
    with DuckDBBackend().connect(source) as con:
        for name in missing:
            path = directory / f"{name}.parquet"
            con.table(name).write_parquet(str(path))
            have[name] = path
    return have
