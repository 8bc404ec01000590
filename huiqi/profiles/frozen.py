"""How a snapshot's tables are frozen, so that an import changing k enterprises costs k.

A snapshot keeps each data table as Parquet in ``snapshots/<id>/``: ``<table>.parquet``
(the *base*: the whole table as it stood at some snapshot, sorted by USCC) and, when
the table changed since that base, ``<table>.delta.parquet``: every row of every
enterprise with a row written after the base, as the table holds them now. Reading
the table at this snapshot is the base without those enterprises' rows, plus the
delta (``overlay``); rows are never deleted from the store, so that is exactly the
table.

Freezing snapshot N after snapshot P (the newest frozen one) therefore links P's base
file (a hard link: no copy, no time) and writes the rows of the enterprises changed
since that base: an import of one row costs milliseconds whatever the population. A
table the import did not write (no row with a newer ``updated_snapshot``) links P's
delta too.
The delta is cumulative, so reading never stacks more than one; when it grows past
``REBASE_SHARE`` of the table, or the table's columns changed (a dictionary field
added, a code list grown), the whole table is written as a new base.

``frozen.json`` in the snapshot folder records, per table, the snapshot whose state the
base file holds and the table's column signature at that time. A snapshot frozen
before this scheme has no ``frozen.json``: its files are whole tables, read as they are,
and the next snapshot writes new bases.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from huiqi.fsmode import private_file

MANIFEST = "frozen.json"
# A delta larger than this share of its table's rows is folded into a new base: reads
# then never carry more than this share of extra rows.
REBASE_SHARE = 0.05
# Rows per row group of a frozen file: small enough that decoding the one group that
# holds an enterprise takes a few milliseconds, large enough that a bulk scan runs as
# fast as with DuckDB's default (122,880).
FROZEN_ROW_GROUP = 4096
DELTA_SUFFIX = ".delta.parquet"


@dataclass(frozen=True)
class FrozenTable:
    """One table of a snapshot: the base file and, if the table changed since, its delta."""

    base: Path
    delta: Path | None = None


def delta_path(folder: Path, table: str) -> Path:
    return folder / f"{table}{DELTA_SUFFIX}"


def read_manifest(folder: Path) -> dict[str, dict[str, object]]:
    """The snapshot folder's ``frozen.json`` ({} for a snapshot frozen before it existed)."""
    path = folder / MANIFEST
    if not path.exists():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return data if isinstance(data, dict) else {}


def signature(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's columns and types, hashed: a base is reused only under the same one."""
    # Table names come from DATA_TABLES, never from input.
    rows = con.execute(f"DESCRIBE {table}").fetchall()
    text = "\n".join(f"{r[0]}\t{r[1]}" for r in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def keep_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let ``con`` keep row order where a statement has no ``ORDER BY`` (DuckDB's
    ``preserve_insertion_order``), then restore the setting it had: an import turns it off.

    A table filled by one ``INSERT`` from rows sorted by USCC, under this setting, holds
    them in that order, and a scan of it returns them in that order: its frozen base is
    then written without sorting the whole table again (``freeze_table``'s ``presorted``).
    """
    row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    before = bool(row[0]) if row else True
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def _copy(
    con: duckdb.DuckDBPyConnection,
    select: str,
    params: list[object],
    path: Path,
    *,
    presorted: bool = False,
) -> int:
    # zstd level 1: a third less CPU than the default level 3 on a yearly table, and no
    # larger on these columns. Sorted by USCC in row groups of FROZEN_ROW_GROUP rows:
    # one enterprise is then read by decoding one small row group (engine/single/lookup).
    # The path is a parameter, never SQL text: a data directory may contain a quote.
    statement = (
        f"COPY ({select}{'' if presorted else ' ORDER BY uscc'}) TO ?"
        " (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1,"
        f" ROW_GROUP_SIZE {FROZEN_ROW_GROUP})"
    )
    if presorted:
        # The rows are stored in USCC order; a scan in storage order writes them sorted.
        with keep_order(con):
            row = con.execute(statement, [*params, str(path)]).fetchone()
    else:
        row = con.execute(statement, [*params, str(path)]).fetchone()
    private_file(path)
    return int(row[0]) if row else 0  # COPY answers the rows it wrote


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: copy
        shutil.copyfile(source, target)
        private_file(target)


def _count(con: duckdb.DuckDBPyConnection, query: str, params: list[object]) -> int:
    row = con.execute(query, params).fetchone()
    return int(row[0]) if row else 0


def freeze_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    snapshot_id: int,
    target: Path,
    previous: tuple[int, Path] | None,
    *,
    presorted: bool = False,
) -> dict[str, object]:
    """Freeze ``table`` into the folder ``target`` for ``snapshot_id``; return its
    manifest entry. ``previous``: the newest frozen snapshot before it (id, folder).
    ``presorted``: the table's rows are stored in USCC order (see ``keep_order``), so a
    new base is written as they are stored, without sorting them again.

    Each step reads no more of the table than it must, so that an import of k rows
    costs k: a table with no row written since ``previous`` (a filter on
    ``updated_snapshot``, which DuckDB answers from its zone maps) is ``previous``'s
    base and delta, linked; otherwise the delta (every row of the enterprises written
    since the base) is written in one pass, and its count decides whether it stays or
    the table becomes a new base: counting it first read the table twice.
    """
    sig = signature(con, table)
    base_file = target / f"{table}.parquet"
    entry = read_manifest(previous[1]).get(table) if previous is not None else None
    prior = previous[1] / f"{table}.parquet" if previous is not None else None
    if (
        previous is not None
        and entry is not None
        and prior is not None
        and prior.exists()
        and entry.get("schema") == sig
    ):
        # Table names come from DATA_TABLES, never from input.
        since = f"SELECT uscc FROM {table} WHERE updated_snapshot > ?"
        prior_delta = delta_path(previous[1], table)
        if not _count(con, f"SELECT count(*) FROM ({since})", [previous[0]]):
            # Rows are never deleted: no row written since, the table is as it was then.
            _link(prior, base_file)
            if prior_delta.exists():
                _link(prior_delta, delta_path(target, table))
            return dict(entry)
        base = int(str(entry["base"]))
        rows = _count(con, f"SELECT count(*) FROM {table}", [])
        keys = _count(con, f"SELECT count(DISTINCT uscc) FROM ({since})", [base])
        # An enterprise written since the base has at least one row in the delta.
        if keys <= REBASE_SHARE * rows:
            delta = delta_path(target, table)
            changed = f"SELECT * FROM {table} WHERE uscc IN ({since})"
            delta_rows = _copy(con, changed, [base], delta)
            if delta_rows <= REBASE_SHARE * rows:
                _link(prior, base_file)
                if not delta_rows:
                    delta.unlink()
                return {"base": base, "schema": sig, "delta_rows": delta_rows}
            delta.unlink()
    _copy(con, f"SELECT * FROM {table}", [], base_file, presorted=presorted)
    return {"base": snapshot_id, "schema": sig, "delta_rows": 0}


def write_manifest(folder: Path, entries: Mapping[str, Mapping[str, object]]) -> None:
    path = folder / MANIFEST
    path.write_text(json.dumps(entries, indent=1, sort_keys=True), "utf-8")
    private_file(path)


def overlay(con: duckdb.DuckDBPyConnection, table: FrozenTable) -> duckdb.DuckDBPyRelation:
    """The table at its snapshot, as a relation of ``con``: the base without the rows of
    the enterprises in the delta, plus the delta (both files have the same columns)."""
    base = con.read_parquet(str(table.base))
    if table.delta is None:
        return base
    delta = con.read_parquet(str(table.delta))
    keys = delta.project("uscc").distinct().set_alias("_changed_keys")
    return base.join(keys, "uscc", how="anti").union(delta)
