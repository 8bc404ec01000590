"""Which enterprises a snapshot changed since an earlier one: what re-matching must visit.

Every row of the profile store says which snapshot last wrote it (``updated_snapshot``;
an import that changes nothing writes nothing), so the enterprises whose data changed
after snapshot ``since`` are those with a row written later, in any source. When the
policies read related parties, contracts or group totals, an enterprise's result can
also change with its neighbours' data: a seller's or a co-holder's new relation, a
related enterprise's figures. ``changed_enterprises(links=True)`` adds those
neighbours: the enterprises related through a relation row to a changed one (either
side, or holding through the same party) and the buyers of contracts whose seller
changed.

The scan reads one small integer column per file (and, with ``links``, the key columns
of the relation and contract files); the work that follows is proportional to the
enterprises found, not to the population.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from huiqi.engine.snapshot import Snapshot
from huiqi.profiles.frozen import overlay

SOURCES = ("enterprises", "enterprise_years", "qualifications", "relations", "contracts")


def changed_enterprises(snapshot: Snapshot, since: int, *, links: bool = False) -> list[str]:
    """The USCCs whose data ``snapshot`` holds newer than snapshot ``since`` (sorted)."""
    present = [name for name in SOURCES if name in snapshot.files and snapshot.files[name].exists()]
    if not present:
        return []
    con = duckdb.connect()
    try:
        for name in present:
            overlay(con, snapshot.table(name)).create_view(name)
        # The relation names come from SOURCES; every value is a parameter.
        rows = con.execute(
            " UNION ".join(
                f"SELECT uscc FROM {name} WHERE updated_snapshot > ?" for name in present
            ),
            [since] * len(present),
        ).fetchall()
        found = {r[0] for r in rows}
        con.register("changed", pa.table({"uscc": pa.array(sorted(found), pa.string())}))
        if links and "relations" in present:
            rows = con.execute(
                """
                WITH rel AS (SELECT uscc, party, party_kind FROM relations)
                SELECT r.uscc FROM rel r WHERE r.party IN (SELECT uscc FROM changed)
                UNION
                SELECT r.party FROM rel r
                  WHERE r.party_kind = 'enterprise' AND r.uscc IN (SELECT uscc FROM changed)
                UNION
                SELECT b.uscc FROM rel a JOIN rel b ON a.party = b.party
                  WHERE a.uscc IN (SELECT uscc FROM changed)
                """
            ).fetchall()
            found |= {r[0] for r in rows}
        if links and "contracts" in present:
            rows = con.execute(
                "SELECT uscc FROM contracts WHERE seller_uscc IN (SELECT uscc FROM changed)"
            ).fetchall()
            found |= {r[0] for r in rows}
        return sorted(found)
    finally:
        con.close()
