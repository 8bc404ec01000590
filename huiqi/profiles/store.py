"""The profile store: an embedded DuckDB database plus one frozen Parquet copy per snapshot.

Tables (in ``profiles.duckdb``):

* ``enterprises``      one row per USCC: the dictionary's static fields.
* ``enterprise_years`` one row per (USCC, year): the dictionary's yearly fields.
* ``qualifications``   one row per certificate: (uscc, qualification, certificate_id,
                       valid_from, valid_to).
* ``relations``        one row per (uscc, party, relation, valid_from): shareholders, legal
                       representatives, directors, senior managers (``links``).
* ``contracts``        one row per (buyer uscc, contract_id): seller, type, amount, date.
* ``snapshots``        one row per import or generation: id, time, source, counts.

Every column also has an ``updated_snapshot`` telling which snapshot last wrote the row.
After each import the five data tables are frozen to
``snapshots/<id>/{enterprises,enterprise_years,qualifications,relations,contracts}.parquet``
(each a base shared with earlier snapshots, plus the rows changed since: see
``huiqi.profiles.frozen``) so that any match can be recomputed later from
(policy version, snapshot id).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from huiqi.config import Settings
from huiqi.errors import NotFoundError, StoreError
from huiqi.fsmode import private_dir, private_file
from huiqi.profiles import frozen
from huiqi.profiles.storeschema import DATA_TABLES, OPTIONAL_TABLES, create_schema

# The dictionary (YAML) and the link tables' builders (PyArrow, SQLGlot) are imported by
# the functions that make the schema: 'huiqi snapshots' (a listing) needs neither.


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: int
    created_at: dt.datetime
    kind: str
    registry: str | None
    source_file: str | None
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    frozen: bool


class ProfileStore:
    """Open, create and snapshot the embedded profile store under a data directory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def path(self) -> Path:
        return self.settings.profiles_db

    def exists(self) -> bool:
        return self.path.exists()

    def init(self) -> None:
        """Create the data directory (0700) and an empty store (idempotent), with the
        folder for the office's own mappings (``mappings/``): the README's
        ``cp district-tax.yaml $HUIQI_DATA_DIR/mappings/`` needs it to exist."""
        self.settings.ensure_data_dir()
        private_dir(self.settings.mappings_dir)
        with self.connect(create=True) as con:
            create_schema(con)

    @contextmanager
    def connect(
        self, *, read_only: bool = False, create: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        if not create and not self.path.exists():
            raise StoreError(
                f"no profile store at {self.path}; run 'huiqi init' and import or generate data first"
            )
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if not read_only:
                private_file(self.path)  # DuckDB creates it with the process umask
            yield con
        finally:
            con.close()
            if not read_only:
                private_file(self.path)

    # ------------------------------------------------------------------ snapshots
    def begin_snapshot(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        kind: str,
        registry: str | None = None,
        source_file: str | None = None,
        file_sha256: str | None = None,
    ) -> int:
        """Record a new snapshot row and return its id (1, 2, 3...)."""
        row = con.execute("SELECT COALESCE(MAX(snapshot_id), 0) + 1 FROM snapshots").fetchone()
        assert row is not None
        snapshot_id = int(row[0])
        con.execute(
            "INSERT INTO snapshots (snapshot_id, created_at, kind, registry, source_file, file_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                snapshot_id,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                kind,
                registry,
                source_file,
                file_sha256,
            ],
        )
        return snapshot_id

    def finish_snapshot(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot_id: int,
        *,
        rows_read: int,
        rows_accepted: int,
        rows_rejected: int,
        rows_changed: int = 0,
        report_path: str | None = None,
        presorted: frozenset[str] = frozenset(),
    ) -> None:
        """Store the counts and freeze the data tables to Parquet for this snapshot.
        ``presorted``: tables whose rows are stored in USCC order (``freeze``)."""
        con.execute(
            "UPDATE snapshots SET rows_read = ?, rows_accepted = ?, rows_rejected = ?,"
            " rows_changed = ?, report_path = ? WHERE snapshot_id = ?",
            [rows_read, rows_accepted, rows_rejected, rows_changed, report_path, snapshot_id],
        )
        self.freeze(con, snapshot_id, presorted=presorted)

    def snapshot_dir(self, snapshot_id: int) -> Path:
        return self.settings.snapshots_dir / str(snapshot_id)

    def freeze(
        self,
        con: duckdb.DuckDBPyConnection,
        snapshot_id: int,
        *,
        presorted: frozenset[str] = frozenset(),
    ) -> None:
        """Freeze the data tables for ``snapshot_id``: each as a link to the newest frozen
        snapshot's base file plus the rows changed since that base, or as a new base
        (``huiqi.profiles.frozen``). A table in ``presorted`` holds its rows in USCC order
        (an import that filled it from empty, ``upsert.write_changes``): its new base is
        written as stored, without sorting it again."""
        target = self.snapshot_dir(snapshot_id)
        if target.exists():
            shutil.rmtree(target)
        private_dir(target)
        row = con.execute(
            "SELECT MAX(snapshot_id) FROM snapshots WHERE frozen AND snapshot_id < ?",
            [snapshot_id],
        ).fetchone()
        previous = None
        if row is not None and row[0] is not None and self.snapshot_dir(int(row[0])).exists():
            previous = (int(row[0]), self.snapshot_dir(int(row[0])))
        entries = {
            table: frozen.freeze_table(
                con, table, snapshot_id, target, previous, presorted=table in presorted
            )
            for table in DATA_TABLES
        }
        frozen.write_manifest(target, entries)
        con.execute("UPDATE snapshots SET frozen = TRUE WHERE snapshot_id = ?", [snapshot_id])

    def snapshots(self) -> list[SnapshotInfo]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT snapshot_id, created_at, kind, registry, source_file, rows_read,"
                " rows_accepted, rows_rejected, frozen FROM snapshots ORDER BY snapshot_id"
            ).fetchall()
        return [SnapshotInfo(*r) for r in rows]

    def latest_snapshot(self) -> int:
        """The newest frozen snapshot id; StoreError if there is none."""
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT MAX(snapshot_id) FROM snapshots WHERE frozen").fetchone()
        if row is None or row[0] is None:
            raise StoreError(
                f"the store at {self.path} holds no data yet; run 'huiqi generate' or 'huiqi import'"
            )
        return int(row[0])

    def snapshot_files(self, snapshot_id: int) -> dict[str, Path]:
        """Paths of a frozen snapshot's base files (see ``snapshot_tables`` for how to read
        a table: a base may come with a delta)."""
        folder = self.snapshot_dir(snapshot_id)
        files = {t: folder / f"{t}.parquet" for t in DATA_TABLES}
        missing = [str(p) for t, p in files.items() if not p.exists() and t not in OPTIONAL_TABLES]
        if not folder.exists():  # a mistyped --snapshot: its files listed said nothing useful
            raise NotFoundError(f"no snapshot {snapshot_id}; 'huiqi snapshots' lists them")
        if missing:
            raise NotFoundError(f"snapshot {snapshot_id} is not available: missing {missing}")
        return files

    def snapshot_tables(self, snapshot_id: int) -> dict[str, frozen.FrozenTable]:
        """A frozen snapshot's tables that exist: base file and delta (if any) of each."""
        files = self.snapshot_files(snapshot_id)
        out = {}
        for table, path in files.items():
            if path.exists():
                delta = frozen.delta_path(path.parent, table)
                out[table] = frozen.FrozenTable(path, delta if delta.exists() else None)
        return out
