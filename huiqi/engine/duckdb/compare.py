"""A draft against the version in force over the same frame: who gains, who loses.

Both versions are evaluated by bulk matching's compact rows (``compact_query``), and
only the rows each keeps leave DuckDB, as columns of integers: the draft's eligible rows
(frame row, amount in fen) and every row the version in force keeps (frame row, status,
detail). They are matched by frame row in arrays indexed by it, instead of a hash join
in DuckDB: at 3.5 M enterprises, for a policy 2.4 M are eligible for under both
versions, the join of the two sets of rows cost 0.4-0.6 s on two loaded cores; laying
them out by row costs a few hundredths. USCCs are read for the samples only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.codes import DIALECT
from huiqi.engine.duckdb.frame import FRAME
from huiqi.engine.duckdb.policy_sql import compact_query
from huiqi.engine.results import STATUSES

ELIGIBLE = STATUSES.index("eligible")
_SAMPLE = "_sim_sample"


@dataclass
class Changes:
    """The version in force's counts and eligible fen, and the differences."""

    counts: dict[str, int]
    eligible_fen: int
    gained: int = 0
    lost: int = 0
    amount_changed: int = 0
    gained_sample: list[str] = field(default_factory=list)
    lost_sample: list[str] = field(default_factory=list)


def exact_sum(values: Any) -> int:
    """The exact sum of 64-bit integers (amounts in fen) as a Python int. When the largest
    magnitude times the count stays below 2^63 no partial sum can overflow and NumPy's sum
    is exact; otherwise the high and low 32 bits are summed apart (below 2^31 rows)."""
    values = np.asarray(values, dtype=np.int64)
    if not len(values):
        return 0
    most = max(abs(int(values.min())), abs(int(values.max())))
    if most * len(values) < 2**63:
        return int(np.sum(values, dtype=np.int64))
    high = int(np.sum(values >> 32, dtype=np.int64))
    low = int(np.sum(values & 0xFFFFFFFF, dtype=np.int64))
    return (high << 32) + low


def compare_versions(
    con: duckdb.DuckDBPyConnection,
    draft: CompiledPolicy,
    in_force: CompiledPolicy,
    *,
    enterprises: int,
    sample: int,
) -> Changes:
    """``draft`` against ``in_force`` over the frame in ``con`` (``enterprises`` rows)."""
    now_sql = compact_query(draft, 0).sql(dialect=DIALECT)
    before_sql = compact_query(in_force, 0).sql(dialect=DIALECT)
    now = con.execute(
        f"SELECT rid, detail FROM ({now_sql}) d WHERE status = {ELIGIBLE}"
    ).fetchnumpy()
    before = con.execute(f"SELECT rid, status, detail FROM ({before_sql}) p").fetchnumpy()
    now_rid, now_fen = np.asarray(now["rid"]), np.asarray(now["detail"], dtype=np.int64)
    rid, status = np.asarray(before["rid"]), np.asarray(before["status"], dtype=np.int64)
    detail = np.asarray(before["detail"], dtype=np.int64)
    size = max([enterprises, *(int(r.max()) + 1 for r in (now_rid, rid) if len(r))])

    kept = np.bincount(status, minlength=len(STATUSES))
    counts = {STATUSES[i]: int(n) for i, n in enumerate(kept) if n}
    was_eligible = status == ELIGIBLE
    not_kept = enterprises - int(kept.sum())
    if not_kept:
        counts["not_eligible"] = not_kept
    changes = Changes(counts, exact_sum(detail[was_eligible]))

    eligible_now = np.zeros(size, dtype=bool)
    eligible_now[now_rid] = True
    fen_now = np.zeros(size, dtype=np.int64)
    fen_now[now_rid] = now_fen
    eligible_before = np.zeros(size, dtype=bool)
    eligible_before[rid[was_eligible]] = True
    fen_before = np.zeros(size, dtype=np.int64)
    fen_before[rid[was_eligible]] = detail[was_eligible]

    gained = eligible_now & ~eligible_before
    lost = eligible_before & ~eligible_now
    both = eligible_now & eligible_before
    changes.gained, changes.lost = int(gained.sum()), int(lost.sum())
    changes.amount_changed = int((fen_now[both] != fen_before[both]).sum())
    if sample and (changes.gained or changes.lost):
        _samples(con, changes, np.flatnonzero(gained), np.flatnonzero(lost), sample)
    return changes


def _samples(
    con: duckdb.DuckDBPyConnection, changes: Changes, gained: Any, lost: Any, sample: int
) -> None:
    """The ``sample`` smallest USCCs of the enterprises gained and lost."""
    rows = pa.table(
        {
            "rid": pa.array(np.concatenate([gained, lost]).astype(np.int64)),
            "lost": pa.array(
                np.concatenate([np.zeros(len(gained), bool), np.ones(len(lost), bool)])
            ),
        }
    )
    con.register(_SAMPLE, rows)
    try:
        for is_lost, usccs in con.execute(
            f"SELECT g.lost, min(f.uscc, ?) FROM {FRAME} f JOIN {_SAMPLE} g"
            " ON g.rid = f.rowid GROUP BY g.lost",
            [sample],
        ).fetchall():
            out = changes.lost_sample if is_lost else changes.gained_sample
            out.extend(sorted(str(u) for u in usccs))
    finally:
        con.unregister(_SAMPLE)
