"""The DuckDB backend: the engine huiqi runs by default.

Everything DuckDB-specific lives in this package: the frame builder (``frame``),
the lowering of the neutral trees to integer codes and money paths (``codes``),
the evaluation and bulk queries (``policy_sql``), bulk matching (``matcher``),
evaluation with traces (``evaluate``) and loading raw profiles (``profile_rows``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import duckdb

from huiqi.engine.backend import Backend, Source
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.evaluate import evaluate_in, trace_in
from huiqi.engine.duckdb.frame import attach_snapshot
from huiqi.engine.duckdb.matcher import PreparedPolicy, connect_engine, match_snapshot
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.results import STATUSES, Evaluation, MatchRun, Progress
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.trace import PolicyTrace


class DuckDBBackend(Backend):
    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str | None] = "duckdb"
    supports_bulk: ClassVar[bool] = True

    def __init__(
        self, *, memory_limit: str | None = None, threads: int | None = None, workers: int = 2
    ) -> None:
        self.memory_limit = memory_limit
        self.threads = threads
        self.workers = workers
        # Bulk SQL rendered per compiled policy (keyed by identity; the policy is kept
        # alive with it, so the id cannot be reused while cached).
        self._prepared: dict[int, PreparedPolicy] = {}

    def prepare(self, policies: Sequence[CompiledPolicy]) -> list[PreparedPolicy]:
        """Render each policy's bulk SQL once (cached on this backend) for ``match``.

        Call it before timing matching: rendering 709 policies takes seconds.
        """
        out = []
        for cp in policies:
            prepared = self._prepared.get(id(cp))
            if prepared is None or prepared.compiled is not cp:
                prepared = self._prepared[id(cp)] = PreparedPolicy.of(cp)
            out.append(prepared)
        return out

    @contextmanager
    def connect(self, source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory connection over ``source``: a snapshot's Parquet files as views, or
        the given profiles loaded as tables. The one place a snapshot is attached."""
        spill = source.spill_dir if isinstance(source, Snapshot) else None
        con = connect_engine(memory_limit=self.memory_limit, threads=self.threads, spill_dir=spill)
        try:
            if isinstance(source, Snapshot):
                attach_snapshot(con, source)
            else:
                load_profiles_into(con, list(source))
            yield con
        finally:
            con.close()

    def evaluate(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
    ) -> list[Evaluation]:
        with self.connect(source) as con:
            return evaluate_in(con, policies, usccs=usccs)

    def trace(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
    ) -> list[PolicyTrace]:
        if snapshot_id is None and isinstance(source, Snapshot):
            snapshot_id = source.id
        with self.connect(source) as con:
            return trace_in(con, policies, usccs=usccs, statuses=statuses, snapshot_id=snapshot_id)

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
        prepared = self.prepare(policies)
        with self.connect(snapshot) as con:
            return match_snapshot(
                con,
                prepared,
                run_id=run_id,
                snapshot_id=snapshot.id,
                out_dir=out_dir,
                progress=progress,
                top_near_misses=top_near_misses,
                workers=self.workers,
            )
