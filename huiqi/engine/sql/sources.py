"""A backend's data as Parquet files, one per source relation, whatever the source.

A snapshot already is such files (a snapshot frozen before relations and contracts
were kept lacks theirs: they are written empty here). Profiles held in memory (test
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
    missing = [name for name in SOURCES if name not in have]
    if not missing:
        return have
    with DuckDBBackend().connect(source) as con:
        for name in missing:
            path = directory / f"{name}.parquet"
            con.table(name).write_parquet(str(path))
            have[name] = path
    return have
