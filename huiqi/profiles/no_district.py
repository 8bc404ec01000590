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
import functools
import io
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.fsmode import open_private
from huiqi.profiles.sqlexpr import case, col, fn, lit, sql
from huiqi.sheetcells import FORMULA_STARTS

FILE = "no_district.csv"
SHOWN = 5


def _safe(value: exp.Expression) -> exp.Expression:
    """``sheetcells.cell_text`` in SQL: the text (NULL as empty) with an apostrophe in
    front when it begins as a formula would. A tax file's first import lists every
    enterprise it created here, so the cells are made safe by DuckDB, and Python's
    csv writer takes whole chunks (one call per row cost seconds at 500,000 rows)."""
    text = fn("coalesce", exp.cast(value, "VARCHAR"), lit(""))
    formula = exp.or_(*(fn("starts_with", text, lit(c)) for c in FORMULA_STARTS))
    return case((formula, fn("concat", lit("'"), text)), default=text)


@functools.cache
def _query(shown: int | None = None) -> str:
    """The list's rows, made safe; or, with ``shown``, the first codes as they are."""
    cells = (
        [col("uscc")]
        if shown is not None
        else [exp.alias_(_safe(col(c)), c) for c in ("uscc", "name")]
    )
    query = (
        exp.select(*cells)
        .from_("enterprises")
        .where(col("district_code").is_(exp.null()))
        .order_by(col("uscc"))
    )
    # Fixed text: no value is pasted in.
    return sql(query.limit(shown) if shown is not None else query)


def write_no_district(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, list[str]]:
    """Write ``path`` (uscc, name) of the store's enterprises with no district code;
    returns their count and the first USCCs."""
    count = 0
    with open_private(path, "w", encoding="utf-8-sig", newline="") as fh:
        # A chunk is written to the file at once: the BOM-writing encoder is Python code,
        # which the csv writer would call once per row.
        buffer = io.StringIO(newline="")
        out = csv.writer(buffer)
        out.writerow(["uscc", "name"])
        result = con.execute(_query())
        while chunk := result.fetchmany(10_000):
            out.writerows(chunk)
            count += len(chunk)
            fh.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        fh.write(buffer.getvalue())
    first = [str(r[0]) for r in con.execute(_query(SHOWN)).fetchall()] if count else []
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
        " with their registered district (field district_code: the built-in market"
        " layout's column 注册区划代码, or the column your mapping reads it from) to mend it."
    )
