"""The Spark backend: the neutral trees rendered in Spark SQL over a snapshot's Parquet files.

The frame is the DuckDB backend's own query (``duckdb.frame.frame_query``, without
its ENUM casts and sort) rendered in Spark SQL over views of the Parquet files, and
cached; each policy is the neutral evaluation query (``sql.evaluation``), many
policies stacked in one Spark job. ``match`` writes ``matches.parquet`` with the
DuckDB matcher's schema and rows (``spark.output``).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from huiqi.engine.backend import Backend, Source
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.duckdb.frame import frame_query
from huiqi.engine.results import STATUSES, Evaluation, MatchRun, Progress
from huiqi.engine.snapshot import SOURCES, Snapshot
from huiqi.engine.spark.session import LOCAL, spark_session
from huiqi.engine.sql.dialect import SparkDialect
from huiqi.engine.sql.evaluation import one_pass_query
from huiqi.engine.sql.rows import evaluation_of, traces_of
from huiqi.engine.sql.sources import source_files
from huiqi.engine.trace import PolicyTrace
from huiqi.engine.tracing import trace_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Policies stacked in one Spark statement: one job for many, not one per policy.
BATCH = 40
FRAME = "frame"
# The views a frame query reads are process-wide names: one frame at a time.
_views = threading.Lock()


class SparkBackend(Backend):
    name: ClassVar[str] = "spark"
    dialect: ClassVar[str | None] = "spark"
    supports_bulk: ClassVar[bool] = True
    external: ClassVar[bool] = True

    def __init__(self, *, master: str = LOCAL, batch: int = BATCH) -> None:
        self.master = master
        self.batch = batch
        self.sql_dialect = SparkDialect()

    @property
    def session(self) -> SparkSession:
        return spark_session(self.master)

    @contextmanager
    def frame(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        traced: bool = False,
        usccs: Sequence[str] | None = None,
    ) -> Iterator[DataFrame]:
        """The frame over ``source`` (only ``usccs``' rows, if given) as the view ``frame``,
        cached while the block runs."""
        from pyspark.sql import functions as F

        self.check_source(source)
        spark = self.session
        columns = requirements(policies)
        if traced:
            columns = columns.union(*(trace_columns(cp) for cp in policies))
        with _views, tempfile.TemporaryDirectory(prefix="huiqi-spark-") as tmp:
            files = source_files(source, Path(tmp))
            for name in SOURCES:
                spark.read.parquet(str(files[name])).createOrReplaceTempView(name)
            sql = frame_query(columns, enums=False, ordered=False).sql(dialect="spark")
            frame = spark.sql(sql)
            if usccs is not None:
                frame = frame.filter(F.col("uscc").isin(list(usccs)))
            frame = frame.cache()
            frame.createOrReplaceTempView(FRAME)
            try:
                yield frame
            finally:
                frame.unpersist()
                spark.catalog.dropTempView(FRAME)

    def batches(
        self, policies: Sequence[CompiledPolicy], *, kept_only: bool = False
    ) -> Iterator[tuple[list[tuple[int, CompiledPolicy]], str]]:
        """(the indexed policies, their stacked query in Spark SQL), ``batch`` at a time."""
        indexed = list(enumerate(policies))
        for start in range(0, len(indexed), self.batch):
            chunk = indexed[start : start + self.batch]
            query = one_pass_query(chunk, self.sql_dialect, frame=FRAME, kept_only=kept_only)
            yield chunk, query.sql(dialect="spark")

    def _evaluations(self, policies: Sequence[CompiledPolicy]) -> list[Evaluation]:
        out: list[Evaluation] = []
        for chunk, sql in self.batches(policies):
            rows = [r.asDict() for r in self.session.sql(sql).collect()]
            by_index = dict(chunk)
            rows.sort(key=lambda r: (r["policy"], r["uscc"]))
            out.extend(evaluation_of(by_index[r["policy"]], r) for r in rows)
        return out

    def evaluate(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
    ) -> list[Evaluation]:
        if not policies:
            return []
        with self.frame(source, policies, usccs=usccs):
            return self._evaluations(policies)

    def trace(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
    ) -> list[PolicyTrace]:
        if not policies:
            return []
        if snapshot_id is None and isinstance(source, Snapshot):
            snapshot_id = source.id
        with self.frame(source, policies, traced=True, usccs=usccs) as frame:
            evaluations = self._evaluations(policies)
            rows: dict[str, dict[str, Any]] = {r["uscc"]: r.asDict() for r in frame.collect()}
        return traces_of(policies, evaluations, rows, statuses=statuses, snapshot_id=snapshot_id)

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
        from huiqi.engine.spark.output import match_in_spark

        return match_in_spark(
            self,
            snapshot,
            policies,
            run_id=run_id,
            out_dir=out_dir,
            progress=progress,
            top_near_misses=top_near_misses,
        )
