"""Load a registry file into a DuckDB staging table of text columns.

Two ways in, with the same result (:mod:`huiqi.profiles.stagesql` says what the
table holds):

* the fast path (:mod:`huiqi.profiles.faststage`): DuckDB reads the file itself,
  in parallel and within its memory limit;
* the recovering readers (:mod:`huiqi.profiles.readers`), in Arrow batches, for a
  file the fast path cannot read exactly as they would (a broken line, another
  encoding on one line, a damaged row group, a workbook).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.profiles.faststage import stage_fast
from huiqi.profiles.readers import Source
from huiqi.profiles.sqlexpr import sql
from huiqi.profiles.stagesql import STAGE, create_stage, stage_select

__all__ = ["STAGE", "Progress", "create_stage", "load_stage"]

Progress = Callable[[str, int, int], None]


def load_stage(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    positions: dict[int, str],
    progress: Progress | None = None,
    *,
    scratch: Path | None = None,
    fast: bool = True,
    passive: dict[int, str] | None = None,
    view: bool = False,
) -> tuple[int, str]:
    """Stream the file into ``_stage``; returns the data rows read and which reader
    read them (``duckdb`` or ``recovering``).

    DuckDB reads the file itself when it can (:mod:`huiqi.profiles.faststage`;
    ``scratch`` is a private folder for a GBK file's UTF-8 copy); otherwise, or
    when that reading finds a problem, the recovering readers of
    :mod:`huiqi.profiles.readers` give the rows in batches. ``fast=False`` takes
    the recovering readers only (to compare the two).

    ``progress(step, done, total)`` is called per batch with the rows read and the
    rows expected (exact for Parquet, estimated from the bytes read for CSV).

    ``passive`` (position -> staged name): columns the mapping does not import, staged
    as text after the fields and never checked, for what their cells say about the row
    (a total row's 合计 in the 序号 column, :mod:`huiqi.profiles.totalsrow`). A Parquet
    file's are not staged.

    ``view``: the caller never rewrites a staged cell, so a Parquet file's stage may be a
    view over the file (:mod:`huiqi.profiles.parquetstage`); its data pages are then
    first decoded by the caller's first full read, which must send a damaged file back
    here with ``fast=False``.
    """
    step = f"read {source.path.name}"
    passive = {} if source.format == "parquet" else dict(passive or {})
    fields = list(positions.values())
    rows = stage_fast(con, source, positions, scratch, passive, view=view) if fast else None
    # The stage's last statement finished: the checks read through DuckDB's relations,
    # which refuse to run beside an unfinished result.
    con.complete()
    if rows is not None:
        if progress is not None:
            progress(step, rows, rows)
            progress(step, rows, rows)
        return rows, "duckdb"
    create_stage(con, [*fields, *passive.values()])
    rows = 0
    insert: str | None = None
    for batch in source.batches(used=positions):
        if insert is None:
            # The batch schema is the same for every batch of one file.
            types = {p: batch.schema.field(f"c{p}").type for p in [*positions, *passive]}
            select = stage_select(
                types, positions, source.headers, exp.to_table("_batch"), passive=passive
            )
            insert = sql(exp.insert(select, STAGE))
        con.register("_batch", batch)
        try:
            con.execute(insert)
        finally:
            con.unregister("_batch")
        rows += batch.num_rows
        if progress is not None:
            progress(step, rows, source.estimated_rows(rows))
    con.complete()
    if progress is not None:
        progress(step, rows, rows)
    return rows, "recovering"
