"""The original cells of the rejected lines, for ``rejects.csv``
(:mod:`huiqi.profiles.rejects_csv`).

The stage holds the columns the mapping imports only (one copy of the file's cells is
all a file of millions of rows should cost). A data steward fixes a rejected row in
``rejects.csv`` and imports it again as it is, which needs every cell of the row, the
columns the mapping leaves out included (an enterprise's name, a remark). Rejects are
few: the file is read once more, its rows filtered by line in Arrow and only the
rejected ones kept, into ``_originals`` (``_line`` and ``o0``, ``o1``... per header
position, as text, rendered as the stage renders a Parquet column). The read stops past
the last rejected line. Nothing is read when nothing was rejected.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from huiqi.profiles.readers import Source
from huiqi.profiles.sqlexpr import col, sql
from huiqi.profiles.stagesql import as_text

ORIGINALS = "_originals"
_BATCH = "_originals_batch"


def rejected_lines(con: duckdb.DuckDBPyConnection, scale: int = 1) -> pa.Array:
    """The file's lines with a reject, ascending (``scale``: a wide sheet's line factor)."""
    rows = con.execute(f"SELECT DISTINCT _line // {int(scale)} AS l FROM _rejects ORDER BY l")
    return pa.array([r[0] for r in rows.fetchall()], pa.int64())


def stage_originals(
    con: duckdb.DuckDBPyConnection, source: Source, lines: pa.Array
) -> dict[int, str]:
    """Fill ``_originals`` with the whole rows of ``lines``; return position -> column."""
    width = len(source.headers)
    columns = {i: f"o{i}" for i in range(width)}
    defs = ", ".join(["_line BIGINT", *(f"{c} VARCHAR" for c in columns.values())])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ORIGINALS} ({defs})")  # our own names
    if len(lines) == 0:
        return columns
    last = lines[-1].as_py()
    # A copy: the read must not count a workbook's merged cells a second time.
    for batch in replace(source, filled_down=[]).batches(used=None):
        line = batch.column("_line")
        kept = batch.filter(pc.is_in(line, value_set=lines))
        if kept.num_rows:
            select = exp.select(
                col("_line"),
                *(
                    exp.alias_(as_text(kept.schema.field(f"c{i}").type)(col(f"c{i}")), c)
                    for i, c in columns.items()
                ),
            ).from_(_BATCH)
            con.register(_BATCH, pa.Table.from_batches([kept]))
            try:
                con.execute(sql(exp.insert(select, ORIGINALS)))
            finally:
                con.unregister(_BATCH)
        if len(line) and pc.max(line).as_py() >= last:
            break
    return columns
