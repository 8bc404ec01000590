"""One policy over a whole population in SQL, aggregated: what a simulation reports.

The rows are ``evaluation_query``'s (the same codes and status expression as bulk
matching, explanations and test cases), kept in a temporary table with the dimensions
an officer breaks results down by (district, industry section, size class...), and
only aggregates leave DuckDB: counts and exact fen sums by status and dimension, near
misses by failing criterion, and, against a previous version evaluated over the same
frame, who gains and who loses eligibility.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.codes import DIALECT
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.duckdb.frame import FRAME
from huiqi.engine.duckdb.policy_sql import evaluation_query
from huiqi.engine.frame_columns import FrameColumn

NEW, OLD = "sim_new", "sim_old"


@dataclass(frozen=True)
class Tally:
    """Counts by status and the eligible enterprises' total in fen."""

    counts: dict[str, int]
    eligible_fen: int


@dataclass
class PopulationResult:
    enterprises: int
    tally: Tally
    # dimension -> [(value, eligible, needs_data, eligible fen)], by value
    breakdowns: dict[str, list[tuple[str | None, int, int, int]]] = field(default_factory=dict)
    near_miss_by_criterion: dict[str, int] = field(default_factory=dict)
    previous: Tally | None = None
    gained: int = 0
    lost: int = 0
    amount_changed: int = 0
    gained_sample: list[str] = field(default_factory=list)
    lost_sample: list[str] = field(default_factory=list)


def _evaluate_into(
    con: duckdb.DuckDBPyConnection, cp: CompiledPolicy, table: str, dims: Sequence[FrameColumn]
) -> None:
    sql = evaluation_query(cp, keep_all=True).sql(dialect=DIALECT)
    extra = "".join(f', CAST(f."{d.name}" AS VARCHAR) AS "d{i}"' for i, d in enumerate(dims))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT r.uscc, r.status,"
        f" CAST(r.amount_fen AS HUGEINT) AS amount_fen, r.failed{extra}"
        f" FROM ({sql}) r JOIN {FRAME} f ON f.uscc = r.uscc"
    )


def _tally(con: duckdb.DuckDBPyConnection, table: str) -> Tally:
    counts = {
        str(s): int(n)
        for s, n in con.execute(f"SELECT status, COUNT(*) FROM {table} GROUP BY status").fetchall()
    }
    row = con.execute(
        f"SELECT COALESCE(SUM(amount_fen), 0) FROM {table} WHERE status = 'eligible'"
    ).fetchone()
    return Tally(counts, int(row[0]) if row else 0)


def population_columns(
    cp: CompiledPolicy, previous: CompiledPolicy | None, dims: Sequence[FrameColumn]
) -> set[FrameColumn]:
    """The frame columns a simulation of ``cp`` (against ``previous``) reads."""
    return requirements([cp] if previous is None else [cp, previous]) | set(dims)


def simulate_population(
    con: duckdb.DuckDBPyConnection,
    cp: CompiledPolicy,
    *,
    dims: Sequence[FrameColumn],
    previous: CompiledPolicy | None = None,
    sample: int = 20,
) -> PopulationResult:
    """Evaluate ``cp`` (and ``previous``) over every enterprise of the frame in ``con``,
    which holds at least ``population_columns(cp, previous, dims)``."""
    _evaluate_into(con, cp, NEW, dims)
    total = con.execute(f"SELECT COUNT(*) FROM {NEW}").fetchone()
    result = PopulationResult(enterprises=int(total[0]) if total else 0, tally=_tally(con, NEW))
    for i, d in enumerate(dims):
        rows = con.execute(
            f"SELECT \"d{i}\", COUNT(*) FILTER (WHERE status = 'eligible'),"
            " COUNT(*) FILTER (WHERE status = 'needs_data'),"
            " COALESCE(SUM(amount_fen) FILTER (WHERE status = 'eligible'), 0)"
            f" FROM {NEW} GROUP BY 1 HAVING COUNT(*) FILTER (WHERE status IN"
            " ('eligible', 'needs_data')) > 0 ORDER BY 1 NULLS LAST"
        ).fetchall()
        result.breakdowns[d.field] = [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]
    result.near_miss_by_criterion = {
        str(c): int(n)
        for c, n in con.execute(
            f"SELECT failed, COUNT(*) FROM {NEW} WHERE status = 'near_miss' GROUP BY 1"
        ).fetchall()
    }
    if previous is None:
        return result
    _evaluate_into(con, previous, OLD, ())
    result.previous = _tally(con, OLD)
    joined = f"FROM {NEW} n JOIN {OLD} o ON o.uscc = n.uscc"  # the same frame: the same rows
    gained = "n.status = 'eligible' AND o.status <> 'eligible'"
    lost = "o.status = 'eligible' AND n.status <> 'eligible'"
    changed = "n.status = 'eligible' AND o.status = 'eligible' AND n.amount_fen <> o.amount_fen"
    row = con.execute(
        f"SELECT COUNT(*) FILTER (WHERE {gained}), COUNT(*) FILTER (WHERE {lost}),"
        f" COUNT(*) FILTER (WHERE {changed}) {joined}"
    ).fetchone()
    assert row is not None
    result.gained, result.lost, result.amount_changed = int(row[0]), int(row[1]), int(row[2])
    for condition, out in ((gained, result.gained_sample), (lost, result.lost_sample)):
        out.extend(
            str(r[0])
            for r in con.execute(
                f"SELECT n.uscc {joined} WHERE {condition} ORDER BY n.uscc LIMIT ?", [sample]
            ).fetchall()
        )
    return result
