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


def _keys_into(con: duckdb.DuckDBPyConnection, cp: CompiledPolicy, table: str) -> None:
    """Keep the enterprises that are anything but plainly not eligible under ``cp``, by
    frame row, with status and amount: what two versions are compared on. At city scale
    a few percent of the population; a row absent from the table was not eligible."""
    sql = evaluation_query(cp, keep_all=True, carry=[("rowid", "rid")]).sql(dialect=DIALECT)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(r.rid AS INTEGER) AS rid,"
        " r.status, CAST(r.amount_fen AS HUGEINT) AS amount_fen"
        f" FROM ({sql}) r WHERE r.status <> 'not_eligible'"
    )


def _aggregate(
    con: duckdb.DuckDBPyConnection, cp: CompiledPolicy, dims: Sequence[FrameColumn]
) -> PopulationResult:
    """Counts and fen by status, by each dimension, and near misses by criterion, in one
    pass over the evaluation (grouping sets), the dimensions carried through it rather than
    joined back: nothing per enterprise is kept. At 3.5 M enterprises, for a policy 2.4 M
    of them are eligible for: 0.2 s, against about 1.2 s when every row was kept, joined
    to the frame and grouped four times."""
    carry = [(d.name, f"d{i}") for i, d in enumerate(dims)]
    sql = evaluation_query(cp, keep_all=True, carry=carry).sql(dialect=DIALECT)
    names = [name for _, name in carry]
    sets = ", ".join(["(status)", *(f'(status, "{n}")' for n in names), "(status, failed)"])
    grouped = ", ".join([*(f'"{n}"' for n in names), "failed"])
    texts = "".join(f'CAST("{n}" AS VARCHAR), ' for n in names)
    columns = "".join(f', "{n}"' for n in names)
    rows = con.execute(
        f"SELECT GROUPING({grouped}) AS g, status, {texts}failed, COUNT(*), SUM(amount_fen)"
        " FROM (SELECT status, CAST(amount_fen AS HUGEINT) AS amount_fen,"
        f" CASE WHEN status = 'near_miss' THEN failed END AS failed{columns}"
        f" FROM ({sql}) r WHERE status <> 'not_eligible') GROUP BY GROUPING SETS ({sets})"
    ).fetchall()
    total = con.execute(f"SELECT COUNT(*) FROM {FRAME}").fetchone()
    enterprises = int(total[0]) if total else 0
    counts: dict[str, int] = {}
    eligible_fen = 0
    by_value: list[dict[str | None, list[int]]] = [{} for _ in names]
    near: dict[str, int] = {}
    full = (1 << (len(names) + 1)) - 1  # every bit set: grouped by status alone
    for g, status, *values, failed, n, fen in rows:
        status, n = str(status), int(n)
        if g == full:
            counts[status] = n
            if status == "eligible":
                eligible_fen = int(fen or 0)
        elif g == full - 1:  # by failing criterion (the last argument, the lowest bit)
            if status == "near_miss" and failed is not None:
                near[str(failed)] = n
        elif status in ("eligible", "needs_data"):
            # GROUPING's first argument is its highest bit: dimension i's bit is
            # 1 << (len(names) - i), the only one cleared in its grouping set.
            i = len(names) + 1 - (full ^ g).bit_length()
            bucket = by_value[i].setdefault(values[i], [0, 0, 0])
            bucket[0 if status == "eligible" else 1] += n
            if status == "eligible":
                bucket[2] += int(fen or 0)
    not_eligible = enterprises - sum(counts.values())  # the rows not kept
    if not_eligible:
        counts["not_eligible"] = not_eligible
    result = PopulationResult(enterprises=enterprises, tally=Tally(counts, eligible_fen))
    for d, buckets in zip(dims, by_value, strict=True):
        ordered = sorted(buckets.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        result.breakdowns[d.field] = [(k, v[0], v[1], v[2]) for k, v in ordered]
    result.near_miss_by_criterion = near
    return result


def _tally(con: duckdb.DuckDBPyConnection, table: str, enterprises: int) -> Tally:
    counts = {
        str(s): int(n)
        for s, n in con.execute(f"SELECT status, COUNT(*) FROM {table} GROUP BY status").fetchall()
    }
    not_eligible = enterprises - sum(counts.values())  # the rows not kept
    if not_eligible:
        counts["not_eligible"] = not_eligible
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
    result = _aggregate(con, cp, dims)
    if previous is None:
        return result
    _keys_into(con, cp, NEW)
    _keys_into(con, previous, OLD)
    result.previous = _tally(con, OLD, result.enterprises)
    # Only the rows kept by either version can differ in eligibility; a row absent from
    # one table was not eligible under that version. Rows are matched by their frame row
    # (both versions read the same frame), in one join; USCCs are fetched for samples.
    gained = "n.status = 'eligible' AND o.status IS DISTINCT FROM 'eligible'"
    lost = "o.status = 'eligible' AND n.status IS DISTINCT FROM 'eligible'"
    changed = "n.status = 'eligible' AND o.status = 'eligible' AND n.amount_fen <> o.amount_fen"
    joined = f"FROM {NEW} n FULL JOIN {OLD} o ON o.rid = n.rid"
    row = con.execute(
        f"SELECT COUNT(*) FILTER (WHERE {gained}), COUNT(*) FILTER (WHERE {lost}),"
        f" COUNT(*) FILTER (WHERE {changed}) {joined}"
    ).fetchone()
    assert row is not None
    result.gained, result.lost, result.amount_changed = int(row[0]), int(row[1]), int(row[2])
    for condition, n, out in (
        (gained, result.gained, result.gained_sample),
        (lost, result.lost, result.lost_sample),
    ):
        if not n or not sample:
            continue
        out.extend(
            str(r[0])
            for r in con.execute(
                f"SELECT f.uscc FROM {FRAME} f SEMI JOIN (SELECT COALESCE(n.rid, o.rid) AS rid"
                f" {joined} WHERE {condition}) g ON g.rid = f.rowid ORDER BY f.uscc LIMIT ?",
                [sample],
            ).fetchall()
        )
    return result
