"""Bulk matching on Spark: every policy over the frame, written as ``matches.parquet``.

Each batch of policies is one Spark job whose kept rows (eligible, near miss, needs
data, error) are appended as Parquet parts under ``spark-parts/``; the counts come
from those parts, and the parts are then joined into one ``matches.parquet`` with
the DuckDB matcher's schema (``sql.rows.MATCHES_SCHEMA``), streaming row groups,
so readers of a run need not know which backend wrote it; near-miss rows stay only
for the policies whose delivery uses them, each policy's are counted (``near_counts``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from huiqi.engine import near_counts
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.near_counts import keeps_near_miss_rows, record_near_misses, write_near_misses
from huiqi.engine.results import MatchRun, Progress
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.sql.rows import MATCHES_SCHEMA, summaries_of
from huiqi.fsmode import private_file

if TYPE_CHECKING:
    from huiqi.engine.spark.backend import SparkBackend

PARTS = "spark-parts"


def match_in_spark(
    backend: SparkBackend,
    snapshot: Snapshot,
    policies: Sequence[CompiledPolicy],
    *,
    run_id: str,
    out_dir: Path,
    progress: Progress | None = None,
    top_near_misses: int = 10,
) -> MatchRun:
    from pyspark.sql import functions as F

    spark = backend.session
    parts = out_dir / PARTS
    started = time.perf_counter()
    if progress:
        progress("frame", 0, 1)
    with backend.frame(snapshot, policies) as frame:
        enterprises = frame.count()
        frame_seconds = time.perf_counter() - started
        if progress:
            progress("frame", 1, 1)
        started = time.perf_counter()
        names = spark.createDataFrame(
            [(i, cp.policy.id, cp.policy.version) for i, cp in enumerate(policies)],
            "policy INT, policy_id STRING, policy_version INT",
        )
        done = 0
        for chunk, sql in backend.batches(policies, kept_only=True):
            rows = spark.sql(sql).join(F.broadcast(names), "policy")
            status = F.col("status")
            rows.select(
                "uscc",
                "policy_id",
                "policy_version",
                F.lit(snapshot.id).cast("int").alias("snapshot_id"),
                "status",
                (status == "eligible").alias("eligible"),
                F.when(status == "eligible", F.col("amount_fen")).alias("amount_fen"),
                "failed_criterion",
                "unknown_criteria",
                "error",
            ).write.mode("append").parquet(str(parts))
            done += len(chunk)
            if progress:
                progress("match", done, len(policies))
    match_seconds = time.perf_counter() - started
    written = spark.read.parquet(str(parts)) if policies else None
    counts: list[tuple[str, str, int, int | None]] = []
    with_match, near = 0, []
    dropped = {cp.policy.id for cp in policies if not keeps_near_miss_rows(cp)}
    if written is not None:
        counts = [
            (r[0], r[1], int(r[2]), r[3])
            for r in written.groupBy("policy_id", "status")
            .agg(F.count("*"), F.sum("amount_fen"))
            .collect()
        ]
        with_match = written.filter("eligible").select("uscc").distinct().count()
        near = [
            (r[0], r[1], int(r[2]))
            for r in written.filter(F.col("status") == "near_miss")
            .groupBy("policy_id", "failed_criterion")
            .count()
            .collect()
        ]
    summaries = summaries_of(policies, counts)
    record_near_misses(summaries, near)
    matches_file = out_dir / "matches.parquet"
    write_single_file(parts, matches_file, near_misses_of=dropped)
    write_near_misses(out_dir, summaries)
    return MatchRun(
        run_id=run_id,
        snapshot_id=snapshot.id,
        enterprises=enterprises,
        policies=summaries,
        frame_seconds=frame_seconds,
        match_seconds=match_seconds,
        enterprises_with_match=with_match,
        output_dir=out_dir,
        near_misses=near_counts.top_near_misses(summaries, top_near_misses),
    )


def write_single_file(parts: Path, target: Path, *, near_misses_of: Collection[str] = ()) -> None:
    """Spark's part files as one Parquet file of MATCHES_SCHEMA (row groups streamed),
    without the near-miss rows of the policies ``near_misses_of`` (``near_counts``)."""
    with pq.ParquetWriter(str(target), MATCHES_SCHEMA, compression="zstd") as writer:
        if parts.exists():
            dataset = ds.dataset(str(parts), format="parquet")
            dropped = pa.array(sorted(near_misses_of), pa.string())
            for batch in dataset.to_batches():
                if len(dropped):
                    drop = pc.and_(
                        pc.equal(batch.column("status"), "near_miss"),
                        pc.is_in(batch.column("policy_id"), value_set=dropped),
                    )
                    batch = batch.filter(pc.invert(drop))
                writer.write_batch(batch.select(MATCHES_SCHEMA.names).cast(MATCHES_SCHEMA))
    private_file(target)
    shutil.rmtree(parts, ignore_errors=True)
