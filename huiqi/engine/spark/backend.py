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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from huiqi.engine.backend import Source
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.frame import frame_query
from huiqi.engine.results import MatchRun, Progress
from huiqi.engine.snapshot import SOURCES, Snapshot
from huiqi.engine.spark.session import LOCAL, spark_session
from huiqi.engine.sql.backend import SqlBackend
from huiqi.engine.sql.dialect import SparkDialect
from huiqi.engine.sql.evaluation import one_pass_query
from huiqi.engine.sql.sources import source_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Policies stacked in one Spark statement: one job for many, not one per policy.
BATCH = 40
FRAME = "frame"
# The views a frame query reads are process-wide names: one frame at a time.
_views = threading.Lock()


class SparkBackend(SqlBackend["DataFrame", str]):
    name: ClassVar[str] = "spark"
    dialect: ClassVar[str | None] = "spark"

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

        columns = self.frame_columns(source, policies, traced=traced)
        spark = self.session
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

    def batch_rows(self, frame: DataFrame, query: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in self.session.sql(query).collect()]

    def frame_rows(self, frame: DataFrame) -> dict[str, dict[str, Any]]:
        return {r["uscc"]: r.asDict() for r in frame.collect()}

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
