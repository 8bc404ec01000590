"""The array backend: bulk matching over columns held in memory, on NumPy (or CuPy).

``numpy`` loads the frame columns a run needs once per snapshot (the DuckDB frame
builder computes them, so both backends read the same values; ``columns``) and keeps
them on the backend object for the next run, with the indexes built on them
(``starts``: rows by value, rows in value order); each policy starts from the fewest
rows an index gives for one of its criteria and narrows them most selective
criterion first (``match``; a criterion shared by several policies and read over
every row is evaluated once, ``criteria``), amounts are exact fen (``money``), and the kept rows are
written by the DuckDB matcher's own view (``writer``), so ``matches.parquet`` is
identical to the DuckDB backend's.

A policy with a construct the array evaluator has no exact rule for (or a value
beyond 64 bits) is matched by DuckDB instead, and the run lists it in
``MatchRun.fallbacks``. ``trace`` (explanations of a few enterprises) is DuckDB's.

The GPU path (``cupy``) is ``fused_match.CupyBackend``: the same frame columns, every
policy evaluated at once by a fused plan on the GPU; without CuPy and a GPU asking for
it is a ConfigError that says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from huiqi.engine.array.columns import Frame
from huiqi.engine.array.criteria import CriterionStore, key_of
from huiqi.engine.array.match import PolicyRows, evaluate_rows, match_policy
from huiqi.engine.array.namespace import array_namespace
from huiqi.engine.array.ranges import SORT_KEYS
from huiqi.engine.array.starts import build_indexes
from huiqi.engine.array.values import Unsupported
from huiqi.engine.array.writer import Kept, write_matches
from huiqi.engine.backend import Backend, Source
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.duckdb.frame import FRAME, build_frame
from huiqi.engine.duckdb.matcher import match_frame
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.results import STATUSES, Evaluation, MatchRun, Progress
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.trace import PolicyTrace


def _ordered(keys: Sequence[FrameColumn]) -> str:
    by = [exp.column(k.name, quoted=True).sql(dialect="duckdb") for k in keys]
    return f"SELECT * FROM {FRAME} ORDER BY {', '.join([*by, 'uscc'])}"


class NumpyBackend(Backend):
    name: ClassVar[str] = "numpy"
    dialect: ClassVar[str | None] = None
    supports_bulk: ClassVar[bool] = True
    namespace: ClassVar[str] = "numpy"

    def __init__(
        self, *, memory_limit: str | None = None, threads: int | None = None, workers: int = 2
    ) -> None:
        self.xp = array_namespace(self.namespace)
        # DuckDB builds the frame columns and matches the policies handed back to it.
        self.duckdb = DuckDBBackend(memory_limit=memory_limit, threads=threads, workers=workers)
        # Threads matching policies at once.
        self.workers = workers
        # Frames by snapshot id, kept between runs; columns are added as policies need them.
        self._frames: dict[int, Frame] = {}

    # ------------------------------------------------------------------ columns
    def _load(
        self,
        source: Source,
        columns: set[FrameColumn],
        usccs: Sequence[str] | None,
        keys: tuple[FrameColumn, ...] = (),
    ) -> Frame:
        with self.duckdb.connect(source) as con:
            build_frame(con, columns, usccs=usccs)
            table = con.sql(_ordered(keys)).to_arrow_table()
        frame = Frame(table.column("uscc").combine_chunks(), keys=keys)
        frame.add(table)
        return frame

    def frame(self, snapshot: Snapshot, columns: set[FrameColumn]) -> Frame:
        """The snapshot's frame with at least ``columns``, loaded once and kept; its rows
        sorted by the ``SORT_KEYS`` among the columns first asked for (``ranges``)."""
        frame = self._frames.get(snapshot.id)
        if frame is None:
            by_name = {c.name: c for c in columns}
            keys = tuple(by_name[k] for k in SORT_KEYS if k in by_name)
            frame = self._frames[snapshot.id] = self._load(snapshot, columns, None, keys)
            return frame
        missing = {c for c in columns if c.name not in frame.columns}
        if missing:
            with self.duckdb.connect(snapshot) as con:
                build_frame(con, missing | set(frame.keys))
                frame.add(con.sql(_ordered(frame.keys)).to_arrow_table())
        return frame

    def forget(self, snapshot_id: int | None = None) -> None:
        """Drop the columns held for one snapshot (or all)."""
        if snapshot_id is None:
            self._frames.clear()
        else:
            self._frames.pop(snapshot_id, None)

    # ------------------------------------------------------------------ evaluate
    def evaluate(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
    ) -> list[Evaluation]:
        self.check_source(source)
        if isinstance(source, Snapshot):
            frame = self.frame(source, requirements(policies))
            rows = _rows_of(frame, usccs)
        else:
            frame, rows = self._load(source, requirements(policies), usccs), None
        out: list[Evaluation] = []
        for cp in policies:
            try:
                out.extend(evaluate_rows(cp, frame, rows))
            except Unsupported:
                out.extend(self.duckdb.evaluate(source, [cp], usccs=usccs))
        return out

    def trace(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
    ) -> list[PolicyTrace]:
        """DuckDB's traces: explanations read every column a criterion touched, for few rows."""
        return self.duckdb.trace(
            source, policies, usccs=usccs, statuses=statuses, snapshot_id=snapshot_id
        )

    # ------------------------------------------------------------------ match
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
        if progress:
            progress("frame", 0, 1)
        started = time.perf_counter()
        frame = self.frame(snapshot, requirements(policies))
        frame_seconds = time.perf_counter() - started
        if progress:
            progress("frame", 1, 1)
        started = time.perf_counter()
        kept, seconds, fallbacks = self.match_frame(frame, policies, progress=progress)
        if fallbacks:
            self._match_in_duckdb(snapshot, frame, policies, fallbacks, kept)
        match_seconds = time.perf_counter() - started
        written = write_matches(
            frame.uscc,
            policies,
            kept,
            snapshot_id=snapshot.id,
            out_dir=out_dir,
            top_near_misses=top_near_misses,
        )
        for summary, s in zip(written.summaries, seconds, strict=True):
            summary.seconds = s
        return MatchRun(
            run_id=run_id,
            snapshot_id=snapshot.id,
            enterprises=frame.rows,
            policies=written.summaries,
            frame_seconds=frame_seconds,
            match_seconds=match_seconds,
            enterprises_with_match=written.enterprises_with_match,
            output_dir=out_dir,
            near_misses=written.near_misses,
            fallbacks=[
                {"policy_id": policies[i].policy.id, "reason": reason}
                for i, reason in fallbacks.items()
            ],
        )

    def match_frame(
        self, frame: Frame, policies: Sequence[CompiledPolicy], *, progress: Progress | None = None
    ) -> tuple[Kept, list[float], dict[int, str]]:
        """Every policy over ``frame``: kept rows, seconds per policy, the policies (by
        index) left to DuckDB with the reason."""
        store = CriterionStore(frame, policies, eager=False)
        distinct = {key_of(c): c for cp in policies for c in cp.checked}
        for crit, share in build_indexes(frame, distinct.values()):
            store.estimate(crit, share)
        done = [0]
        lock = threading.Lock()

        def one(i: int) -> tuple[PolicyRows | str, float]:
            started = time.perf_counter()
            try:
                got: PolicyRows | str = match_policy(policies[i], store, frame)
            except Unsupported as exc:
                got = str(exc)
            with lock:
                done[0] += 1
                if progress:
                    progress("match", done[0], len(policies))
            return got, time.perf_counter() - started

        # NumPy releases the GIL inside its loops: policies run on ``workers`` threads.
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            list(pool.map(store.prepare, distinct.values()))
            results = list(pool.map(one, range(len(policies))))
        kept = Kept()
        fallbacks: dict[int, str] = {}
        for i, (got, _) in enumerate(results):
            if isinstance(got, str):
                fallbacks[i] = got
            else:
                kept.add(got.rid, i, got.status, got.detail, cp=policies[i])
        return kept, [seconds for _, seconds in results], fallbacks

    def _match_in_duckdb(
        self,
        snapshot: Snapshot,
        frame: Frame,
        policies: Sequence[CompiledPolicy],
        fallbacks: dict[int, str],
        kept: Kept,
    ) -> None:
        """Match the policies the array evaluator handed back in DuckDB, into ``kept``."""
        indexes = sorted(fallbacks)
        chosen = [policies[i] for i in indexes]
        prepared = self.duckdb.prepare(chosen)
        by_rid = f"(SELECT CAST(rowid AS INTEGER) AS rid, uscc FROM {FRAME}) f USING (rid)"
        with self.duckdb.connect(snapshot) as con:
            build_frame(con, requirements(chosen))
            summaries = match_frame(
                con, prepared, snapshot_id=snapshot.id, workers=self.duckdb.workers
            )
            table = con.sql(
                f"SELECT f.uscc, m.policy, m.status, m.detail FROM matches_compact m JOIN {by_rid}"
            ).to_arrow_table()
            errors = con.sql(
                f"SELECT f.uscc, e.policy, e.reason FROM match_errors e JOIN {by_rid}"
            ).to_arrow_table()
        local = table.column("policy").to_numpy()
        rid = _rids(frame, table.column("uscc"))
        status = table.column("status").to_numpy().astype(np.uint8)
        detail = table.column("detail").to_numpy().astype(np.int64)
        for j, i in enumerate(indexes):
            here = local == j
            kept.add(rid[here], i, status[here], detail[here])
            if summaries[j].near_miss_by_criterion:
                kept.near[i] = dict(summaries[j].near_miss_by_criterion)
        error_rids = _rids(frame, errors.column("uscc"))
        for r, j, reason in zip(
            error_rids,
            errors.column("policy").to_pylist(),
            errors.column("reason").to_pylist(),
            strict=True,
        ):
            kept.errors.append((int(r), indexes[int(j)], str(reason)))


def _rids(frame: Frame, uscc: Any) -> Any:
    found = pc.index_in(uscc, value_set=frame.uscc)
    if found.null_count:
        raise RuntimeError("DuckDB matched an enterprise the array frame does not hold")
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def _rows_of(frame: Frame, usccs: Sequence[str] | None) -> Any:
    """The rows of ``usccs`` (all: None) in USCC order, whatever order the frame holds."""
    if usccs is None:
        return None if not frame.keys else pc.sort_indices(frame.uscc).to_numpy()
    found = pc.index_in(frame.uscc, value_set=pa.array(list(usccs), pa.string()))
    rows = np.flatnonzero(found.is_valid().to_numpy(zero_copy_only=False))
    by_uscc = pc.sort_indices(frame.uscc.take(pa.array(rows))).to_numpy()
    return rows[by_uscc]
