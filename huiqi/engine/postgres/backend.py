"""The PostgreSQL backend: matching inside the operational database, for small deployments.

A connection (a SQLAlchemy-style or libpq URL) gets the source relations as temporary
tables (``load``), the frame as a table built by the DuckDB backend's frame query
rendered for PostgreSQL, and each policy's neutral evaluation query
(``sql.evaluation``), many policies per statement. Nothing outlives the connection.

The frame is an UNLOGGED table created inside the connection's transaction and never
committed: no other session sees it, a crash or the end of the block rolls it back,
and, unlike a temporary table, PostgreSQL's parallel workers can scan it (a batch's
policies are a Parallel Append over the frame: 1.6x on two cores). Where the role may
not create tables in the schema, the frame is a temporary table, scanned by one process.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql
from psycopg.rows import dict_row

from huiqi.engine import near_counts
from huiqi.engine.backend import Source
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.frame import frame_query
from huiqi.engine.near_counts import keeps_near_miss_rows, record_near_misses, write_near_misses
from huiqi.engine.postgres.load import load_sources
from huiqi.engine.results import MatchRun, Progress
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.sql.backend import SqlBackend
from huiqi.engine.sql.dialect import PostgresDialect
from huiqi.engine.sql.evaluation import policies_query
from huiqi.engine.sql.rows import MATCHES_SCHEMA, summaries_of
from huiqi.engine.sql.sources import source_files
from huiqi.errors import ConfigError
from huiqi.fsmode import private_file

BATCH = 40
# Rows fetched at a time when writing matches.parquet.
FETCH = 50_000
URL_SETTING = "HUIQI_POSTGRES_URL"
# Rows a streamed result brings per round trip: chunks need libpq 17, else one by one.
STREAM_CHUNK = FETCH if psycopg.pq.version() >= 170000 else 1


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as libpq takes it (``postgresql://``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ConfigError(f"the postgres backend needs a postgresql:// URL, not '{url}'")
    return f"postgresql://{rest}"


class PostgresBackend(SqlBackend[psycopg.Connection[dict[str, Any]], sql.SQL]):
    name: ClassVar[str] = "postgres"
    dialect: ClassVar[str | None] = "postgres"

    def __init__(self, *, url: str | None = None, batch: int = BATCH) -> None:
        url = url or os.environ.get(URL_SETTING)
        if not url:
            raise ConfigError(
                f"the postgres backend needs a PostgreSQL database to match in: set {URL_SETTING}"
                " to its URL (postgresql://user@host:5432/name)"
            )
        self.url = libpq_url(url)
        self.batch = batch
        self.sql_dialect = PostgresDialect()
        # Never committed, so unique only against this backend's other frames in flight
        # (none) and others' uncommitted ones (a name clash would wait on their lock).
        self.frame_table = f"huiqi_frame_{secrets.token_hex(8)}"

    @contextmanager
    def frame(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        traced: bool = False,
        usccs: Sequence[str] | None = None,
    ) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A connection holding ``source`` and its frame (only ``usccs``' rows) as temporary
        tables, dropped with the connection."""
        columns = self.frame_columns(source, policies, traced=traced)
        with psycopg.connect(self.url, row_factory=dict_row) as conn:
            # No JIT: PostgreSQL compiles a query once its estimated cost passes
            # jit_above_cost, and a batch of policies' expressions passes it over a few
            # thousand enterprises. Compiling a batch of 40 took 3.6 s of its 3.7 s at 2,000
            # enterprises; with it, 10,000 x 100 took 144 s against 1.5 s without, and
            # 500,000 x 40 took 107-165 s against 47-59 s (docs/benchmarks.md).
            conn.execute("SET jit = off")
            with tempfile.TemporaryDirectory(prefix="huiqi-pg-") as tmp:
                load_sources(conn, source_files(source, Path(tmp)))
            query = frame_query(columns, enums=False, ordered=False).sql(dialect="postgres")
            frame = sql.Identifier(self.frame_table)
            try:
                with conn.transaction():
                    conn.execute(
                        sql.SQL("CREATE UNLOGGED TABLE {} AS {}").format(frame, sql.SQL(query))
                    )
            except psycopg.errors.InsufficientPrivilege:
                conn.execute(
                    sql.SQL("CREATE TEMPORARY TABLE {} AS {}").format(frame, sql.SQL(query))
                )
            if usccs is not None:
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE NOT (uscc = ANY(%s))").format(frame),
                    [list(usccs)],
                )
            conn.execute(sql.SQL("ANALYZE {}").format(frame))
            try:
                yield conn
            finally:
                conn.rollback()

    def batches(
        self, policies: Sequence[CompiledPolicy], *, kept_only: bool = False
    ) -> Iterator[tuple[list[tuple[int, CompiledPolicy]], sql.SQL]]:
        indexed = list(enumerate(policies))
        for start in range(0, len(indexed), self.batch):
            chunk = indexed[start : start + self.batch]
            query = policies_query(
                chunk, self.sql_dialect, frame=self.frame_table, kept_only=kept_only
            )
            # Rendered from trees; no parameters, so no text of it is read as a placeholder.
            yield chunk, sql.SQL(query.sql(dialect="postgres"))

    def batch_rows(
        self, frame: psycopg.Connection[dict[str, Any]], query: sql.SQL
    ) -> list[dict[str, Any]]:
        return frame.execute(query).fetchall()

    def frame_rows(self, frame: psycopg.Connection[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        rows = frame.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(self.frame_table)))
        return {r["uscc"]: r for r in rows.fetchall()}

    def match(
        self,
        snapshot: Snapshot,
        policies: Sequence[CompiledPolicy],
        *,
        run_id: str,
        out_dir: Path,
        progress: Progress | None = None,
        top_near_misses: int = 10,
    ) -> MatchRun:
        started = time.perf_counter()
        counts: dict[tuple[str, str], list[int]] = {}
        with_match: set[str] = set()
        near: dict[tuple[str, str], int] = {}
        target = out_dir / "matches.parquet"
        with self.frame(snapshot, policies) as conn:
            row = conn.execute(
                sql.SQL("SELECT COUNT(*) AS n FROM {}").format(sql.Identifier(self.frame_table))
            ).fetchone()
            enterprises = int(row["n"]) if row else 0
            frame_seconds = time.perf_counter() - started
            started = time.perf_counter()
            done = 0
            with pq.ParquetWriter(str(target), MATCHES_SCHEMA, compression="zstd") as writer:
                for chunk, query in self.batches(policies, kept_only=True):
                    by_index = dict(chunk)
                    # Streamed (libpq's chunked rows), not a server-side cursor: PostgreSQL
                    # plans a cursor's query without parallel workers.
                    with conn.cursor() as cur:
                        stream = cur.stream(query, size=STREAM_CHUNK)
                        while rows := list(islice(stream, FETCH)):
                            out = []
                            for r in rows:
                                cp = by_index[r["policy"]]
                                pid, status = cp.policy.id, r["status"]
                                eligible = status == "eligible"
                                amount = r["amount_fen"] if eligible else None
                                tally = counts.setdefault((pid, status), [0, 0])
                                tally[0] += 1
                                tally[1] += amount or 0
                                if eligible:
                                    with_match.add(r["uscc"])
                                if status == "near_miss":
                                    key = (pid, r["failed_criterion"])
                                    near[key] = near.get(key, 0) + 1
                                    if not keeps_near_miss_rows(cp):
                                        continue
                                out.append(
                                    {
                                        "uscc": r["uscc"],
                                        "policy_id": pid,
                                        "policy_version": cp.policy.version,
                                        "snapshot_id": snapshot.id,
                                        "status": status,
                                        "eligible": eligible,
                                        "amount_fen": amount,
                                        "failed_criterion": r["failed_criterion"],
                                        "unknown_criteria": r["unknown_criteria"],
                                        "error": r["error"],
                                    }
                                )
                            writer.write_table(pa.Table.from_pylist(out, schema=MATCHES_SCHEMA))
                    done += len(chunk)
                    if progress:
                        progress("match", done, len(policies))
        private_file(target)
        summaries = summaries_of(policies, [(p, s, n, a) for (p, s), (n, a) in counts.items()])
        record_near_misses(summaries, [(p, c, n) for (p, c), n in near.items()])
        write_near_misses(out_dir, summaries)
        return MatchRun(
            run_id=run_id,
            snapshot_id=snapshot.id,
            enterprises=enterprises,
            policies=summaries,
            frame_seconds=frame_seconds,
            match_seconds=time.perf_counter() - started,
            enterprises_with_match=len(with_match),
            output_dir=out_dir,
            near_misses=near_counts.top_near_misses(summaries, top_near_misses),
        )
