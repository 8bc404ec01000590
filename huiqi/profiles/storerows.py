"""Store an import's checked good rows as its snapshot: step 5 of ``importer``.

Only an import that accepted a row gets here; one that accepted none stores nothing
and makes no snapshot (``Stored()`` describes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from huiqi.config import Settings
from huiqi.profiles import links, size_class, upsert
from huiqi.profiles.import_report import FIRST_MESSAGES
from huiqi.profiles.mapping import Mapping


@dataclass(frozen=True)
class Stored:
    """What storing an import's good rows did (nothing, for an import that accepted none)."""

    changed: int = 0
    blanks_kept: int = 0
    refreshed: bool = False
    # Tables this import filled from empty: written in USCC order, frozen as stored.
    presorted: frozenset[str] = frozenset()
    disagreeing: int = 0  # the registry's size class against the derived one
    first: list[tuple] = field(default_factory=list)
    overlapping: int = 0  # legal representatives whose periods overlap
    overlaps_first: list[tuple] = field(default_factory=list)
    shares_at_most_one: int = 0  # every share of the file <= 1 %: fractions, perhaps


def store_rows(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    chosen: Mapping,
    fields: list[str],
    snapshot_id: int,
) -> Stored:
    """Write the checked good rows that are new or changed as ``snapshot_id``, with what
    derives from them (size classes), and the checks that read them as stored."""
    links.after_check(con, chosen, settings)  # persons hashed, never in clear
    empty = upsert.empty_tables(con, chosen)
    # Nothing to keep in a table this import fills from empty (a first import).
    kept = 0 if upsert.TABLES[chosen.layout] in empty else upsert.blanks_kept(con, chosen, fields)
    changed = upsert.collect_changes(
        con, chosen, fields, empty=upsert.TABLES[chosen.layout] in empty
    )
    refreshed = False
    if changed:
        upsert.write_changes(con, chosen, fields, snapshot_id, ordered=empty)
        refreshed = upsert.refresh_derived(con, snapshot_id, filled=empty)
    # The registry's own class against the derived one, for the years this file
    # touched: it sent the reported class, or figures that changed the derived one.
    disagreeing, first = (
        size_class.disagreements(con, FIRST_MESSAGES)
        if chosen.layout == "yearly" and ("size_class_reported" in fields or refreshed)
        else (0, [])
    )
    overlapping, overlaps_first = (
        links.overlapping_legal_representatives(con, FIRST_MESSAGES)
        if chosen.layout == "relations" and "relation" in fields
        else (0, [])
    )
    fractions = (
        links.shares_at_most_one(con)
        if chosen.layout == "relations" and "share_pct" in fields
        else 0
    )
    return Stored(
        changed, kept, refreshed, empty, disagreeing, first, overlapping, overlaps_first, fractions
    )
