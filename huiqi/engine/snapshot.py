"""The one way into a data snapshot, for matching, explaining and recomputing.

A snapshot is the profile store frozen as Parquet files (``snapshots/<id>/``); any
result can be recomputed from (policy version, snapshot id). ``open_snapshot``
resolves an id (default: the latest) to those files; a backend reads them its own
way (``Backend.evaluate``, ``trace``, ``match``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from huiqi.config import Settings
from huiqi.profiles.dictionary import use_data_dir
from huiqi.profiles.frozen import FrozenTable
from huiqi.profiles.store import ProfileStore

# The relations a snapshot holds, one Parquet file each; a snapshot frozen before
# relations and contracts were kept has no file for them, and reads them as empty.
SOURCES = ("enterprises", "enterprise_years", "qualifications", "relations", "contracts")


@dataclass(frozen=True)
class Snapshot:
    """A frozen snapshot: its id and its Parquet file per source relation.

    ``files`` are the base files; a relation that changed since its base also has a
    delta (``deltas``), whose enterprises' rows replace theirs in the base
    (``huiqi.profiles.frozen``). Read a relation through ``table(name)``.
    """

    id: int
    files: Mapping[str, Path]
    # Where DuckDB may spill while matching it (inside the data directory, not the
    # working directory); None: DuckDB's default.
    spill_dir: Path | None = None
    deltas: Mapping[str, Path] = field(default_factory=dict)

    def table(self, name: str) -> FrozenTable:
        """How to read the relation ``name`` (present in ``files``)."""
        return FrozenTable(self.files[name], self.deltas.get(name))


def open_snapshot(settings: Settings, snapshot_id: int | None = None) -> Snapshot:
    """The snapshot ``snapshot_id`` of the store (default: the latest).

    The data directory's dictionary (``<data dir>/dictionary.yaml``, an office's own
    fields) becomes the one in effect, so the frame and the traces know its fields.

    Raises StoreError when the store holds no snapshot, NotFoundError when the
    snapshot's files are missing.
    """
    use_data_dir(settings.data_dir)
    store = ProfileStore(settings)
    sid = snapshot_id if snapshot_id is not None else store.latest_snapshot()
    tables = store.snapshot_tables(sid)
    return Snapshot(
        sid,
        {name: tables[name].base for name in SOURCES if name in tables},
        spill_dir=settings.data_dir / "tmp",
        deltas={
            name: delta
            for name in SOURCES
            if name in tables and (delta := tables[name].delta) is not None
        },
    )
