"""Bulk matching in DuckDB: every policy against every enterprise of one snapshot.

The frame is built once with the union of the columns all policies read; then
each policy's bulk query (rendered once per policy by ``DuckDBBackend.prepare``,
before the timed loop) runs over it,
two at a time, and its eligible, near-miss and needs-data rows are kept as small
integers in ``matches_compact`` (an in-memory table, or for large runs one
Parquet part per policy under ``runs/<run_id>/parts/``); ``matches`` is a view
that joins the strings back. Results are written to
``runs/<run_id>/matches.parquet`` with a JSON summary, so a run is reproducible
from (policy versions, snapshot id).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlglot import exp

from huiqi.engine import near_counts
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.duckdb.frame import FRAME, build_frame
from huiqi.engine.duckdb.isolate import (
    MATCH_ERRORS_DDL,
    ROW_ERRORS,
    copy_to,
    error_part,
    isolate_in_bulk,
)
from huiqi.engine.duckdb.policy_sql import bulk_sql
from huiqi.engine.near_counts import keeps_near_miss_rows, record_near_misses, write_near_misses
from huiqi.engine.results import AMOUNT_TOO_LARGE, STATUSES, MatchRun, PolicySummary, Progress
from huiqi.fsmode import private_dir, private_file

# Kept rows are stored as four integers (15 bytes a row, instead of ~85 with the USCC,
# the policy id and criterion ids as strings). ``detail`` depends on the status: the
# amount in fen (eligible), the failing criterion's index (near miss), the bitmask of
# unknown criteria (needs data); see ``policy_sql.compact_query``. ``matches`` is a view
# that decodes it and joins the strings back, with the columns a reader expects.
MATCHES_COMPACT_DDL = """
CREATE TABLE matches_compact (
  rid INTEGER NOT NULL,
  policy SMALLINT NOT NULL,
  status UTINYINT NOT NULL,
  detail BIGINT NOT NULL
)"""

# Enterprise x policy pairs from which kept rows are written to Parquet parts.
PARTS_FROM = 250_000_000

# Rows a matching worker appends before it commits.
COMMIT_ROWS = 8_000_000

MATCH_POLICIES_DDL = """
CREATE TABLE match_policies (
  policy SMALLINT, policy_id VARCHAR, policy_version INTEGER, criteria VARCHAR[]
)"""

# ``error``: why a row's status is 'error' (the database's reason for a row that failed,
# from ``match_errors``; else the amount too large to record). The join is there only
# when some row failed.
MATCHES_VIEW = """
CREATE VIEW matches AS
SELECT f.uscc, p.policy_id, p.policy_version, s.snapshot_id,
       ['eligible', 'near_miss', 'needs_data', 'not_eligible', 'error'][m.status + 1] AS status,
       m.status = 0 AS eligible, CASE WHEN m.status = 0 THEN m.detail END AS amount_fen,
       CASE WHEN m.status = 1 THEN p.criteria[m.detail + 1] END AS failed_criterion,
       CASE WHEN m.status = 2 THEN NULLIF(array_to_string(list_filter(p.criteria,
         lambda x, i: (m.detail >> (i - 1)) & 1 = 1), ','), '') END AS unknown_criteria,
       CASE WHEN m.status = 4 THEN {reason} END AS error
FROM matches_compact m
JOIN match_policies p USING (policy)
JOIN (SELECT rowid AS rid, uscc FROM frame) f USING (rid)
CROSS JOIN match_snapshot s{join}"""


def _matches_view(row_errors: bool) -> str:
    too_large = exp.Literal.string(AMOUNT_TOO_LARGE).sql(dialect="duckdb")
    if not row_errors:
        return MATCHES_VIEW.format(reason=too_large, join="")
    return MATCHES_VIEW.format(
        reason=f"COALESCE(e.reason, {too_large})",
        join="\nLEFT JOIN match_errors e ON e.rid = m.rid AND e.policy = m.policy",
    )


@dataclass(frozen=True)
class PreparedPolicy:
    """A compiled policy with its bulk SQL rendered (``policy_sql.compact_query``).

    Building and printing SQLGlot trees costs a few milliseconds a policy, which
    matters at several hundred policies: the DuckDB backend renders each policy once,
    before the timed matching loop, and keeps the text here, not on the neutral
    ``CompiledPolicy``.
    """

    compiled: CompiledPolicy
    sql: str

    @property
    def near_miss_rows(self) -> bool:
        return keeps_near_miss_rows(self.compiled)

    @classmethod
    def of(cls, cp: CompiledPolicy) -> PreparedPolicy:
        return cls(cp, bulk_sql(cp))


def connect_engine(
    *, memory_limit: str | None = None, threads: int | None = None, spill_dir: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for matching, with optional limits; it spills to
    ``spill_dir`` (created private) rather than a ``.tmp`` in the working directory."""
    con = duckdb.connect()
    if spill_dir is not None:
        con.execute("SET temp_directory = ?", [str(private_dir(spill_dir))])
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    if threads:
        con.execute("SET threads = ?", [threads])
    con.execute("SET preserve_insertion_order = false")
    return con


def parts_dir_for(out_dir: Path, enterprises: int, n_policies: int) -> Path | None:
    """Where a run's kept rows go as Parquet parts, or None to keep them in memory.

    In memory is faster while the rows fit (1 M x 100: 2.9 s against 3.3 s); past
    PARTS_FROM enterprise x policy pairs they would not fit next to the frame and
    DuckDB would spill them (3.5 M x 709: 62 s as parts against 71-80 s in memory).
    """
    return out_dir / "parts" if enterprises * n_policies >= PARTS_FROM else None


def _drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the table or view ``name`` of an earlier run, whichever it is."""
    row = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    if row:
        con.execute(f"DROP {'VIEW' if row[0] == 'VIEW' else 'TABLE'} {name}")


def match_frame(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[PreparedPolicy | CompiledPolicy],
    *,
    snapshot_id: int,
    progress: Progress | None = None,
    workers: int = 2,
    parts_dir: Path | None = None,
) -> list[PolicySummary]:
    """Evaluate every policy over the frame already in ``con``; ``matches`` is then a view.

    The kept rows go to the in-memory table ``matches_compact``, or, with ``parts_dir``,
    to one Parquet file per policy there (``matches_compact`` is then a view over them):
    at 3.5 M enterprises x 709 policies the 265 M kept rows do not fit in memory next
    to the frame, and DuckDB would spill them. Policies not yet prepared are rendered
    here, before the loop.
    """
    prepared = [p if isinstance(p, PreparedPolicy) else PreparedPolicy.of(p) for p in policies]
    compiled = [p.compiled for p in prepared]
    for name in ("matches", "matches_compact", "match_policies", "match_snapshot", "match_errors"):
        _drop(con, name)
    con.execute(MATCH_ERRORS_DDL)
    if parts_dir is None:
        con.execute(MATCHES_COMPACT_DDL)
    else:
        parts_dir.mkdir(mode=0o700)
    summaries = [PolicySummary(cp.policy.id, cp.policy.version) for cp in compiled]
    # Two statements in flight (one cursor each): a single short policy query leaves a core
    # idle between pipelines. Each worker appends several policies per transaction:
    # committing each INSERT on its own cost ~10 ms apiece (1 M x 100: 3.9 s -> 2.9 s),
    # while one transaction for everything would hold every row in its local storage.
    pending = iter(range(len(prepared)))
    # Per policy: {criterion index: enterprises that miss it alone}.
    near: list[dict[int, int]] = [{} for _ in prepared]
    lock = threading.Lock()
    done = [0]

    def worker() -> None:
        cur = con.cursor()
        open_transaction = False
        try:
            cur.execute("BEGIN TRANSACTION")
            open_transaction = True
            uncommitted = 0
            # Policies inserted in the open transaction: a statement that fails aborts it,
            # so they are inserted again after the rollback.
            in_transaction: list[int] = []
            while True:
                with lock:
                    i = next(pending, None)
                if i is None:
                    break
                started = time.perf_counter()
                try:
                    inserted, near[i] = _run_policy(cur, prepared[i], i, parts_dir)
                except ROW_ERRORS as exc:
                    # Some rows cannot be evaluated: match the others, record those.
                    cur.execute("ROLLBACK")
                    open_transaction = False
                    for j in in_transaction if parts_dir is None else ():
                        _, near[j] = _run_policy(cur, prepared[j], j, parts_dir)
                    isolate_in_bulk(cur, compiled[i], i, exc, parts_dir=parts_dir)
                    near[i] = _split_isolated(cur, prepared[i], i, parts_dir)
                    cur.execute("BEGIN TRANSACTION")
                    open_transaction = True
                    uncommitted, inserted, in_transaction = 0, 0, []
                else:
                    in_transaction.append(i)
                uncommitted += inserted
                if uncommitted >= COMMIT_ROWS:
                    cur.execute("COMMIT")
                    cur.execute("BEGIN TRANSACTION")
                    uncommitted, in_transaction = 0, []
                summaries[i].seconds = time.perf_counter() - started
                with lock:
                    done[0] += 1
                    if progress:
                        progress("match", done[0], len(prepared))
            cur.execute("COMMIT")
        except BaseException:
            if open_transaction:
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    n_workers = min(workers, max(len(prepared), 1))
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for future in [pool.submit(worker) for _ in range(n_workers)]:
            future.result()
    isolated = con.execute(
        "SELECT policy, reason, COUNT(*) AS n FROM match_errors GROUP BY ALL ORDER BY n DESC"
    ).fetchall()
    if parts_dir is not None and isolated:
        error_part(con, parts_dir)
    if parts_dir is not None:
        con.read_parquet(str(parts_dir / "*.parquet"), union_by_name=False).create_view(
            "matches_compact"
        )
    con.execute(MATCH_POLICIES_DDL)
    if compiled:
        # One statement with a list per column: executemany costs ~0.5 ms a row.
        con.execute(
            "INSERT INTO match_policies SELECT UNNEST(?), UNNEST(?), UNNEST(?), UNNEST(?)",
            [
                list(range(len(compiled))),
                [cp.policy.id for cp in compiled],
                [cp.policy.version for cp in compiled],
                [[c.id for c in cp.checked] for cp in compiled],
            ],
        )
    con.execute(
        "CREATE TABLE match_snapshot AS SELECT CAST(? AS INTEGER) AS snapshot_id", [snapshot_id]
    )
    con.execute(_matches_view(bool(isolated)))
    counts = con.execute(
        "SELECT policy, status, COUNT(*), SUM(detail) FROM matches_compact GROUP BY ALL"
    ).fetchall()
    failed_rows = [0] * len(summaries)
    for index, reason, count in isolated:
        summaries[index].error_reasons.append(f"{_rows(count)}: {reason}")
        failed_rows[index] += int(count)
    for index, status, count, amount in counts:
        s = summaries[index]
        setattr(s, STATUSES[status], int(count))
        if status == 0:
            s.amount_fen = int(amount)
        if STATUSES[status] == "error" and count > failed_rows[index]:
            s.error_reasons.insert(0, f"{_rows(count - failed_rows[index])}: {AMOUNT_TOO_LARGE}")
    record_near_misses(
        summaries,
        (
            (cp.policy.id, cp.checked[k].id, n)
            for cp, found in zip(compiled, near, strict=True)
            for k, n in found.items()
        ),
    )
    return summaries


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


# The near-miss status as bulk matching stores it (its index in STATUSES).
NEAR_MISS = STATUSES.index("near_miss")


def _run_policy(
    cur: duckdb.DuckDBPyConnection, policy: PreparedPolicy, index: int, parts_dir: Path | None
) -> tuple[int, dict[int, int]]:
    """Policy ``index``'s bulk statement over the whole frame: the rows it kept, and its
    near misses per criterion index.

    The policy's rows are held in a temporary table once, counted, and stored without
    their near misses unless its delivery uses them (``near_counts``).
    """
    held = f"kept_{index}"
    cur.execute(f"CREATE TEMP TABLE {held} AS {policy.sql}", [index])
    try:
        near = cur.execute(
            f"SELECT detail, COUNT(*) FROM {held} WHERE status = {NEAR_MISS} GROUP BY ALL"
        ).fetchall()
        rows = f"SELECT * FROM {held}"
        if not policy.near_miss_rows:
            rows += f" WHERE status <> {NEAR_MISS}"
        if parts_dir is None:
            cur.execute(f"INSERT INTO matches_compact {rows}")
        else:
            part = parts_dir / f"{index:05d}.parquet"
            try:
                cur.execute(copy_to(rows, "?"), [str(part)])
            except BaseException:
                part.unlink(missing_ok=True)  # a statement that failed may leave a partial file
                raise
            private_file(part)
        inserted = cur.fetchone()
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {held}")
    return (int(inserted[0]) if inserted else 0), {int(d): int(n) for d, n in near}


def _split_isolated(
    cur: duckdb.DuckDBPyConnection, policy: PreparedPolicy, index: int, parts_dir: Path | None
) -> dict[int, int]:
    """After ``isolate_in_bulk`` stored policy ``index``'s rows range by range: its near
    misses per criterion index, and its near-miss rows dropped unless its delivery uses
    them (the rare policy some of whose rows the database could not evaluate)."""
    if parts_dir is None:
        source = "matches_compact WHERE policy = ? AND"
        params: list[object] = [index]
    else:
        source = "read_parquet(?) WHERE"
        params = [str(parts_dir / f"{index:05d}-*.parquet")]
    near = cur.execute(
        f"SELECT detail, COUNT(*) FROM {source} status = {NEAR_MISS} GROUP BY ALL", params
    ).fetchall()
    if not policy.near_miss_rows and near:
        if parts_dir is None:
            cur.execute(
                f"DELETE FROM matches_compact WHERE policy = ? AND status = {NEAR_MISS}", [index]
            )
        else:
            for part in sorted(parts_dir.glob(f"{index:05d}-*.parquet")):
                kept = part.with_suffix(".kept")
                cur.execute(
                    copy_to(f"SELECT * FROM read_parquet(?) WHERE status <> {NEAR_MISS}", "?"),
                    [str(part), str(kept)],
                )
                kept.replace(part)
                private_file(part)
    return {int(d): int(n) for d, n in near}


def match_snapshot(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[PreparedPolicy],
    *,
    run_id: str,
    snapshot_id: int,
    out_dir: Path,
    progress: Progress | None = None,
    top_near_misses: int = 10,
    workers: int = 2,
) -> MatchRun:
    """Build the frame over the snapshot attached to ``con``, match, write ``matches.parquet``."""
    compiled = [p.compiled for p in policies]
    if progress:
        progress("frame", 0, 1)
    started = time.perf_counter()
    build_frame(con, requirements(compiled))
    frame_seconds = time.perf_counter() - started
    if progress:
        progress("frame", 1, 1)
    row = con.execute(f"SELECT COUNT(*) FROM {FRAME}").fetchone()
    enterprises = int(row[0]) if row else 0
    started = time.perf_counter()
    summaries = match_frame(
        con,
        policies,
        snapshot_id=snapshot_id,
        progress=progress,
        workers=workers,
        parts_dir=parts_dir_for(out_dir, enterprises, len(policies)),
    )
    match_seconds = time.perf_counter() - started
    with_match_row = con.execute(
        "SELECT COUNT(DISTINCT rid) FROM matches_compact WHERE status = 0"
    ).fetchall()[0]
    matches_file = out_dir / "matches.parquet"
    con.table("matches").write_parquet(str(matches_file), compression="zstd")
    private_file(matches_file)
    write_near_misses(out_dir, summaries)
    return MatchRun(
        run_id=run_id,
        snapshot_id=snapshot_id,
        enterprises=enterprises,
        policies=summaries,
        frame_seconds=frame_seconds,
        match_seconds=match_seconds,
        enterprises_with_match=int(with_match_row[0]) if with_match_row else 0,
        output_dir=out_dir,
        near_misses=near_counts.top_near_misses(summaries, top_near_misses),
    )
