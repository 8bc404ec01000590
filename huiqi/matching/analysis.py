"""A bulk run's analysis file: ``runs/<run_id>/analysis.duckdb``, views and nothing else.

An analyst opens it with any DuckDB client (``duckdb runs/<id>/analysis.duckdb``) and
queries the run's results beside the profiles they were computed from, without copying
either: every view reads the Parquet files in place.

* ``matches``: the kept rows (``matches.parquet``: eligible, needs-data, error rows, and
  near misses for 申报 policies), one per enterprise and policy;
* ``near_misses``: per policy, how many enterprises missed only one criterion, which
  (``near_misses.parquet``);
* ``enterprises``, ``enterprise_years``, ``qualifications``, ``relations``, ``contracts``:
  the snapshot the run matched, as it stood (base file less the changed enterprises,
  plus their rows: ``huiqi.profiles.frozen``).

A district officer's run (``huiqi.matching.district_scope``) writes views of its
districts' enterprises only: ``enterprises`` keeps those whose ``district_code`` is one of
them, and every other view the rows of those enterprises.

The file holds no data, so it is small and cheap to write on every run; moving the data
directory breaks its views (paths are absolute), and writing the run again mends it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.config import Settings
from huiqi.engine.near_counts import NEAR_MISSES_FILE
from huiqi.fsmode import private_file
from huiqi.profiles.frozen import FrozenTable
from huiqi.profiles.store import ProfileStore

ANALYSIS_FILE = "analysis.duckdb"
MATCHES_FILE = "matches.parquet"


def _read(path: Path, alias: str) -> exp.Expression:
    # The path is a literal built by SQLGlot (DuckDB views cannot hold parameters).
    return exp.func("read_parquet", exp.Literal.string(str(path))).as_(alias)


def _everything(path: Path, alias: str) -> exp.Select:
    return exp.select(exp.Star()).from_(_read(path, alias))


def snapshot_view(table: FrozenTable) -> exp.Expression:
    """A table of a frozen snapshot as one query: the base less the enterprises whose
    rows the delta holds, plus the delta."""
    if table.delta is None:
        return _everything(table.base, "b")
    changed = exp.select(exp.column("uscc")).from_(_read(table.delta, "d")).distinct()
    kept = (
        exp.select(exp.Star())
        .from_(_read(table.base, "b"))
        .join(changed.subquery("c"), using=["uscc"], join_type="anti")
    )
    return exp.union(kept, _everything(table.delta, "d2"), distinct=False)


def view_sql(name: str, query: exp.Expression) -> str:
    create = exp.Create(this=exp.to_table(name), kind="VIEW", replace=True, expression=query)
    return create.sql(dialect="duckdb")


def _within(query: exp.Expression, name: str, districts: list[str]) -> exp.Expression:
    """``query`` kept to the enterprises of ``districts`` (digits only, as literals)."""
    rows = exp.select(exp.Star()).from_(query.subquery("v"))
    if name == "enterprises":
        codes = [exp.Literal.string(d) for d in districts if d.isdigit()]
        if not codes:
            return rows.where(exp.false())
        return rows.where(exp.column("district_code").isin(*codes))
    return rows.where(exp.column("uscc").isin(query=exp.select("uscc").from_("enterprises")))


def write_analysis_file(
    settings: Settings, run_dir: Path, snapshot_id: int, *, districts: list[str] | None = None
) -> Path:
    """Write (or rewrite) ``run_dir/analysis.duckdb`` for a run over ``snapshot_id``; with
    ``districts``, views of those districts' enterprises only."""
    views: dict[str, exp.Expression] = {}
    matches = run_dir / MATCHES_FILE
    if matches.exists():
        views["matches"] = _everything(matches.resolve(), "m")
    near = run_dir / NEAR_MISSES_FILE
    if near.exists():
        views["near_misses"] = _everything(near.resolve(), "n")
    for table, frozen_table in ProfileStore(settings).snapshot_tables(snapshot_id).items():
        resolved = FrozenTable(
            frozen_table.base.resolve(),
            None if frozen_table.delta is None else frozen_table.delta.resolve(),
        )
        views[table] = snapshot_view(resolved)
    if districts is not None:
        # enterprises first: the other views read it.
        order = sorted(views, key=lambda n: n != "enterprises")
        views = {
            n: views[n] if n == "near_misses" else _within(views[n], n, districts) for n in order
        }
    target = run_dir / ANALYSIS_FILE
    scratch = target.with_suffix(".duckdb.new")
    scratch.unlink(missing_ok=True)
    with duckdb.connect(str(scratch)) as con:
        for name, query in views.items():
            con.execute(view_sql(name, query))
    scratch.replace(target)
    private_file(target)
    return target


def enterprises_in(run_dir: Path) -> int:
    """How many enterprises a run's analysis file shows: those of its districts for a
    district officer's run (:func:`write_analysis_file`), the snapshot's otherwise."""
    with duckdb.connect(str(run_dir / ANALYSIS_FILE), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM enterprises").fetchone()
    return int(row[0]) if row else 0
