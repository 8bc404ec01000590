"""Who an enterprise is, for access checks: name, district and park from a snapshot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from huiqi.config import Settings
from huiqi.profiles.frozen import overlay
from huiqi.profiles.store import ProfileStore


@dataclass(frozen=True)
class EnterpriseIdentity:
    uscc: str
    name: str | None
    district_code: str | None
    park: str | None


def identities(
    settings: Settings, snapshot_id: int, usccs: Sequence[str]
) -> list[EnterpriseIdentity]:
    """Name, district and park of these enterprises in a frozen snapshot."""
    if not usccs:
        return []
    table = ProfileStore(settings).snapshot_tables(snapshot_id)["enterprises"]
    with duckdb.connect() as con:
        overlay(con, table).create_view("enterprises")
        con.register("_wanted", pa.table({"uscc": pa.array(list(usccs), pa.string())}))
        rows = con.execute(
            "SELECT e.uscc, e.name, CAST(e.district_code AS VARCHAR), e.park"
            " FROM enterprises AS e JOIN _wanted AS w ON e.uscc = w.uscc"
        ).fetchall()
    return [EnterpriseIdentity(*row) for row in rows]


def park_members(
    settings: Settings, snapshot_id: int, parks: Sequence[str], limit: int
) -> list[EnterpriseIdentity]:
    """The enterprises a frozen snapshot registers in these parks (at most ``limit``), by
    park, then USCC: every one, whether or not anything was delivered to it."""
    if not parks:
        return []
    table = ProfileStore(settings).snapshot_tables(snapshot_id)["enterprises"]
    with duckdb.connect() as con:
        overlay(con, table).create_view("enterprises")
        rows = con.execute(
            "SELECT e.uscc, e.name, CAST(e.district_code AS VARCHAR), e.park FROM enterprises"
            " AS e WHERE list_contains($parks, e.park) ORDER BY e.park, e.uscc LIMIT $limit",
            {"parks": list(parks), "limit": limit},
        ).fetchall()
    return [EnterpriseIdentity(*row) for row in rows]


def written_identities(
    settings: Settings, snapshot_id: int, batch: int = 10_000
) -> Iterator[list[EnterpriseIdentity]]:
    """Name, district and park of the enterprises whose registry row this snapshot wrote
    (its import changed them), in batches of at most ``batch``."""
    tables = ProfileStore(settings).snapshot_tables(snapshot_id)
    if "enterprises" not in tables:
        return
    with duckdb.connect() as con:
        overlay(con, tables["enterprises"]).create_view("enterprises")
        cursor = con.execute(
            "SELECT uscc, name, CAST(district_code AS VARCHAR), park FROM enterprises"
            " WHERE updated_snapshot = $sid",
            {"sid": snapshot_id},
        )
        while rows := cursor.fetchmany(batch):
            yield [EnterpriseIdentity(*row) for row in rows]
