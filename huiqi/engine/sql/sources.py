"""A backend's data as Parquet files, one per source relation, whatever the source.

A snapshot already is such files, but for relations that changed since their base
(their base and delta are written here as one file), for a snapshot frozen before
relations and contracts were kept (they are written empty here) and for a file that lacks
a field added to the dictionary since it was frozen (written here with that column NULL,
as the DuckDB backend's view reads it: the field's value is unknown). Profiles held in memory (test
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
        for name in _lacking_fields(have):
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


def _lacking_fields(files: dict[str, Path]) -> list[str]:
    """The relations whose file lacks a dictionary field (read from the file's footer)."""
    import pyarrow.parquet as pq

    from huiqi.engine.duckdb.frame import absent_fields
    from huiqi.profiles.dictionary import load_dictionary

    d = load_dictionary()
    return [
        name for name, path in files.items() if absent_fields(name, pq.read_schema(path).names, d)
    ]
