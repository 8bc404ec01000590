"""The ledger's directory of the enterprises it delivers to (for scope checks and totals)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.config import Settings
from huiqi.db.bulk import write_copy_text
from huiqi.delivery.models import DirectoryEntry, table_of
from huiqi.profiles.directory import EnterpriseIdentity, written_identities

_CHUNK = 20_000


def refresh(session: Session, entries: Sequence[EnterpriseIdentity], snapshot_id: int) -> None:
    """Insert or update directory rows from a snapshot (a newer snapshot wins).

    One upsert statement executed for every row by the driver's executemany, rows as
    tuples: a multi-row VALUES list would be compiled again for every chunk, and
    SQLAlchemy's executemany builds parameters per row (100,000 at a delivery).
    """
    if not entries:
        return
    if session.get_bind().dialect.name == "postgresql":
        _refresh_by_copy(session, entries, snapshot_id)
        return
    table: Table = table_of(DirectoryEntry)
    ins: Any = (
        postgresql.insert(table)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(table)
    )
    stmt = ins.on_conflict_do_update(
        index_elements=[table.c.uscc],
        set_={
            "name": ins.excluded.name,
            "district_code": ins.excluded.district_code,
            "park": ins.excluded.park,
            "snapshot_id": ins.excluded.snapshot_id,
        },
        where=table.c.snapshot_id < ins.excluded.snapshot_id,
    )
    # Every column is text or an integer: nothing for a bind processor to convert.
    conn = session.connection()
    columns = ["uscc", "name", "district_code", "park", "snapshot_id"]
    compiled = stmt.compile(dialect=conn.dialect, column_keys=columns)
    at = [columns.index(c) for c in compiled.positiontup or ()]
    assert sorted(at) == list(range(len(columns))), compiled.positiontup
    for start in range(0, len(entries), _CHUNK):
        rows: list[tuple[str | int | None, ...]] = [
            (e.uscc, e.name, e.district_code, e.park, snapshot_id)
            for e in entries[start : start + _CHUNK]
        ]
        if at != sorted(at):
            rows = [tuple(r[i] for i in at) for r in rows]
        conn.exec_driver_sql(str(compiled), rows)


def follow_import(session: Session, settings: Settings, snapshot_id: int) -> int:
    """After an import, the directory's enterprises whose registry row the new snapshot
    wrote take its name, district and park; return how many did.

    Park operators' and district officers' access reads the directory: without this an
    enterprise that moved to another park stayed reachable by its old park's operator,
    new data included, until the next delivery refreshed it. Only enterprises already
    in the directory are touched (it lists those the ledger delivers to)."""
    if session.scalar(select(DirectoryEntry.uscc).limit(1)) is None:
        return 0
    followed = 0
    for batch in written_identities(settings, snapshot_id):
        known = set(
            session.scalars(
                select(DirectoryEntry.uscc).where(DirectoryEntry.uscc.in_([e.uscc for e in batch]))
            )
        )
        moved = [e for e in batch if e.uscc in known]
        refresh(session, moved, snapshot_id)
        followed += len(moved)
    return followed


def _refresh_by_copy(
    session: Session, entries: Sequence[EnterpriseIdentity], snapshot_id: int
) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then one upsert from it."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _directory_in ON COMMIT DELETE ROWS"
            " AS SELECT uscc, name, district_code, park, snapshot_id"
            " FROM enterprise_directory WITH NO DATA"
        )
        with cur.copy(
            "COPY _directory_in (uscc, name, district_code, park, snapshot_id) FROM STDIN"
        ) as copy:
            write_copy_text(
                copy, [(e.uscc, e.name, e.district_code, e.park) for e in entries], (snapshot_id,)
            )
        cur.execute(
            "INSERT INTO enterprise_directory (uscc, name, district_code, park, snapshot_id)"
            " SELECT DISTINCT ON (uscc) uscc, name, district_code, park, snapshot_id"
            " FROM _directory_in"
            " ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name,"
            " district_code = EXCLUDED.district_code, park = EXCLUDED.park,"
            " snapshot_id = EXCLUDED.snapshot_id"
            " WHERE enterprise_directory.snapshot_id < EXCLUDED.snapshot_id"
        )
        cur.execute("DELETE FROM _directory_in")
