"""The ledger's directory of the enterprises it delivers to (for scope checks and totals)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.delivery.models import DirectoryEntry, table_of
from huiqi.profiles.directory import EnterpriseIdentity

_CHUNK = 1_000


def refresh(session: Session, entries: Sequence[EnterpriseIdentity], snapshot_id: int) -> None:
    """Insert or update directory rows from a snapshot (newer snapshots win)."""
    table: Table = table_of(DirectoryEntry)
    ins: Any = (
        postgresql.insert(table)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(table)
    )
    for start in range(0, len(entries), _CHUNK):
        rows = [
            {
                "uscc": e.uscc,
                "name": e.name,
                "district_code": e.district_code,
                "park": e.park,
                "snapshot_id": snapshot_id,
            }
            for e in entries[start : start + _CHUNK]
        ]
        stmt = ins.values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.uscc],
            set_={
                "name": stmt.excluded.name,
                "district_code": stmt.excluded.district_code,
                "park": stmt.excluded.park,
                "snapshot_id": stmt.excluded.snapshot_id,
            },
            where=table.c.snapshot_id <= stmt.excluded.snapshot_id,
        )
        session.execute(stmt)
