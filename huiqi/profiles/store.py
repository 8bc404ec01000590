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
from typing import TYPE_CHECKING

import duckdb

from huiqi.config import Settings
from huiqi.errors import NotFoundError, StoreError
from huiqi.fsmode import private_dir, private_file
from huiqi.profiles import frozen

if TYPE_CHECKING:
    from huiqi.profiles.dictionary import Dictionary, Field

# The dictionary (YAML) and the link tables' builders (PyArrow, SQLGlot) are imported by
# the functions that make the schema: 'huiqi snapshots' (a listing) needs neither.

# Who relates to whom, and contracts: made by huiqi.profiles.links.
LINK_TABLES = ("relations", "contracts")
DATA_TABLES = ("enterprises", "enterprise_years", "qualifications", *LINK_TABLES)
# Tables a snapshot frozen before relations and contracts existed lacks: read as empty.
OPTIONAL_TABLES = LINK_TABLES


def enum_type_name(field: Field) -> str:
    return f"enum_{field.name}"


def duck_type(field: Field) -> str:
    """The DuckDB column type that stores a dictionary field exactly."""
    match field.type:
        case "string":
            return "VARCHAR"
        case "integer":
            return "BIGINT"
        case "money":
            return "DECIMAL(18,2)"
        case "decimal":
            return "DECIMAL(18,6)"
        case "date":
            return "DATE"
        case "boolean":
            return "BOOLEAN"
        case "enum":
            return enum_type_name(field)
        case "tags":
            return "VARCHAR[]"
    raise StoreError(f"field '{field.name}' of type '{field.type}' has no column type")


def enum_values(field: Field) -> list[str]:
    assert field.codes is not None
    from huiqi.profiles.dictionary import load_codelist

    return list(load_codelist(field.codes).codes)


def create_enum_types(con: duckdb.DuckDBPyConnection, dictionary: Dictionary) -> None:
    """Create one ENUM type per enum field (dictionary-encoded categoricals).

    A type whose code list has changed since it was created (a code added to a list) is
    replaced, and the columns using it are converted through text; a code still in use
    that the list no longer has makes that conversion fail with a StoreError.
    """
    have = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT type_name FROM duckdb_types() WHERE logical_type = 'ENUM'"
        ).fetchall()
    }
    for f in dictionary.fields:
        if f.type != "enum":
            continue
        wanted, name = enum_values(f), enum_type_name(f)
        if name not in have:
            con.execute(f"CREATE TYPE {_ident(name)} AS ENUM ({_members(wanted)})")
            continue
        # A type name cannot be bound as a parameter; it is quoted as an identifier.
        row = con.execute(f"SELECT enum_range(NULL::{_ident(name)})").fetchone()
        if (list(row[0]) if row else []) != wanted:
            _replace_enum(con, f.name, name, wanted)


def _ident(name: str) -> str:
    # Type and column names come from the dictionary, whose names are checked snake_case.
    return '"' + name.replace('"', '""') + '"'


def _members(values: list[str]) -> str:
    # ENUM members cannot be bound as parameters in DDL; they come from code lists, and are
    # quoted by DuckDB's literal rules here.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _replace_enum(con: duckdb.DuckDBPyConnection, field: str, name: str, wanted: list[str]) -> None:
    # The store names an enum column after its field; its type is the field's ENUM.
    users = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE column_name = ?"
        " AND data_type LIKE 'ENUM(%' AND NOT internal"
        " AND database_name = current_database()",
        [field],
    ).fetchall()
    for table, column in users:
        con.execute(f"ALTER TABLE {_ident(table)} ALTER COLUMN {_ident(column)} TYPE VARCHAR")
    con.execute(f"DROP TYPE {_ident(name)}")
    con.execute(f"CREATE TYPE {_ident(name)} AS ENUM ({_members(wanted)})")
    for table, column in users:
        try:
            con.execute(
                f"ALTER TABLE {_ident(table)} ALTER COLUMN {_ident(column)} TYPE {_ident(name)}"
            )
        except duckdb.ConversionException as exc:
            raise StoreError(
                f"column {table}.{column} holds a code that its code list no longer has ({exc});"
                " put the code back in the list, or correct the data first"
            ) from None


def add_missing_columns(con: duckdb.DuckDBPyConnection, dictionary: Dictionary) -> list[str]:
    """Add a column for each dictionary field the store's tables lack (a field added to
    the dictionary after the store was made); returns the fields added. A field removed
    from the dictionary keeps its column: snapshots stay complete."""
    have = {
        (r[0], r[1])
        for r in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN"
            " ('enterprises', 'enterprise_years')"
        ).fetchall()
    }
    added = []
    for table, fields in (
        ("enterprises", dictionary.static_fields),
        ("enterprise_years", dictionary.yearly_fields),
    ):
        for f in fields:
            if (table, f.name) not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {_ident(f.name)} {duck_type(f)}")
                added.append(f.name)
    return added


def create_schema(con: duckdb.DuckDBPyConnection, dictionary: Dictionary | None = None) -> None:
    from huiqi.profiles.dictionary import load_dictionary
    from huiqi.profiles.links import create_link_tables

    d = dictionary or load_dictionary()
    create_enum_types(con, d)
    static_cols = ",\n  ".join(
        f"{f.name} {duck_type(f)}" + (" NOT NULL" if f.key else "") for f in d.static_fields
    )
    yearly_cols = ",\n  ".join(f"{f.name} {duck_type(f)}" for f in d.yearly_fields)
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS snapshots (
          snapshot_id INTEGER PRIMARY KEY,
          created_at TIMESTAMP NOT NULL,
          kind VARCHAR NOT NULL,
          registry VARCHAR,
          source_file VARCHAR,
          file_sha256 VARCHAR,
          rows_read BIGINT DEFAULT 0,
          rows_accepted BIGINT DEFAULT 0,
          rows_rejected BIGINT DEFAULT 0,
          rows_changed BIGINT DEFAULT 0,
          report_path VARCHAR,
          frozen BOOLEAN DEFAULT FALSE
        )"""
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS enterprises (\n  {static_cols},\n  updated_snapshot INTEGER\n)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS enterprise_years (\n  uscc VARCHAR NOT NULL,\n"
        f"  year INTEGER NOT NULL,\n  {yearly_cols},\n  updated_snapshot INTEGER\n)"
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS qualifications (
          uscc VARCHAR NOT NULL,
          qualification VARCHAR NOT NULL,
          certificate_id VARCHAR,
          valid_from DATE NOT NULL,
          valid_to DATE NOT NULL,
          updated_snapshot INTEGER
        )"""
    )
    create_link_tables(con)
    drop_primary_keys(con)
    add_missing_columns(con, d)


def drop_primary_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild, without its primary-key index, each data table a store made before
    2026-12-01 created with one; returns the tables rebuilt.

    The import keeps keys unique itself (``upsert.write_changes``); the index only cost
    time (DuckDB cannot drop a key constraint, so the table is copied). Types, enum
    columns included, and every column, fields since removed from the dictionary too,
    are kept; the key columns stay NOT NULL.
    """
    keyed = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT table_name FROM duckdb_constraints()"
            " WHERE constraint_type = 'PRIMARY KEY' AND database_name = current_database()"
            f" AND table_name IN ({', '.join('?' for _ in DATA_TABLES)})",
            list(DATA_TABLES),
        ).fetchall()
    ]
    for table in keyed:
        keys = [
            r[0]
            for r in con.execute(
                "SELECT unnest(constraint_column_names) FROM duckdb_constraints()"
                " WHERE constraint_type = 'PRIMARY KEY' AND table_name = ?"
                " AND database_name = current_database()",
                [table],
            ).fetchall()
        ]
        name, copy = _ident(table), _ident(f"{table}__unkeyed")
        con.execute(f"CREATE OR REPLACE TABLE {copy} AS SELECT * FROM {name}")
        con.execute(f"DROP TABLE {name}")
        con.execute(f"ALTER TABLE {copy} RENAME TO {name}")
        for key in keys:
            con.execute(f"ALTER TABLE {name} ALTER COLUMN {_ident(key)} SET NOT NULL")
    return keyed


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
