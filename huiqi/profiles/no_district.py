"""The enterprises of the store with no district recorded, for the data steward.

A district officer acts for its district's enterprises (``huiqi.matching.district_scope``),
so an enterprise without a ``district_code`` is in no district officer's run, simulation
or export: only city-level officers (a department or ``*`` scope) and data stewards see
it. The district is taken from the registered address (never from the USCC's region
characters, which freeze the registering authority), so only a registry can mend it.
Each import therefore tells the steward how many enterprises have none, lists them in
``no_district.csv`` beside ``rejects.csv``, and says what to do.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from huiqi.fsmode import open_private
from huiqi.sheetcells import safe_row

FILE = "no_district.csv"
SHOWN = 5

# Fixed text: no value is pasted in.
QUERY = "SELECT uscc, name FROM enterprises WHERE district_code IS NULL ORDER BY uscc"


def write_no_district(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, list[str]]:
    """Write ``path`` (uscc, name) of the store's enterprises with no district code;
    returns their count and the first USCCs."""
    count, first = 0, list[str]()
    with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["uscc", "name"])
        result = con.execute(QUERY)
        while chunk := result.fetchmany(10_000):
            for uscc, name in chunk:
                out.writerow(safe_row([uscc, name or ""]))
                count += 1
                if len(first) < SHOWN:
                    first.append(str(uscc))
    return count, first


def no_district_message(count: int, first: list[str], path: Path | None) -> str:
    """The report's line about them (empty when there are none)."""
    if not count:
        return ""
    more = ", ..." if count > len(first) else ""
    return (
        f"No district recorded: {count} enterprise(s) ({', '.join(first)}{more}; all in {path})"
        " have no district_code, so no district officer's matching, simulation or export"
        " covers them (city-level officers' do). Import the market registry's rows for them"
        " with their registered district (column 注册区划代码, field district_code) to mend it."
    )
