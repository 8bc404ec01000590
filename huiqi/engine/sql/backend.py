"""What the SQL backends outside this process (Spark, PostgreSQL) share: a frame over the
source held somewhere (``frame``), the neutral evaluation query run ``batch`` policies a
statement (``batches``), and ``evaluate`` and ``trace`` as template methods over the two.

A subclass says how it holds the frame (a handle ``H``: a connection, a DataFrame), how
it renders a batch (a statement ``Q``), how it runs one (``batch_rows``) and how it reads
the frame's rows back (``frame_rows``).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from huiqi.engine.backend import Backend, Source
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.results import STATUSES, Evaluation
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.sql.rows import evaluation_of, traces_of
from huiqi.engine.tracing import trace_columns

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from huiqi.engine.compile.compiler import CompiledPolicy
    from huiqi.engine.frame_columns import FrameColumn
    from huiqi.engine.trace import PolicyTrace

H = TypeVar("H")
Q = TypeVar("Q")
# The indexed policies of one statement (their index is the ``policy`` column of its rows).
Chunk = list[tuple[int, "CompiledPolicy"]]


class SqlBackend(Backend, Generic[H, Q]):
    """A bulk backend that runs the neutral evaluation query on an external engine."""

    supports_bulk: ClassVar[bool] = True
    external: ClassVar[bool] = True

    @abstractmethod
    def frame(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        traced: bool = False,
        usccs: Sequence[str] | None = None,
    ) -> AbstractContextManager[H]:
        """The frame of ``policies`` over ``source`` (only ``usccs``' rows, if given), held
        while the block runs; ``traced`` adds the columns a trace reads."""

    @abstractmethod
    def batches(
        self, policies: Sequence[CompiledPolicy], *, kept_only: bool = False
    ) -> Iterator[tuple[Chunk, Q]]:
        """(the indexed policies, their stacked statement), ``batch`` policies at a time."""

    @abstractmethod
    def batch_rows(self, frame: H, query: Q) -> list[dict[str, Any]]:
        """The rows of one batch's statement over the frame."""

    @abstractmethod
    def frame_rows(self, frame: H) -> dict[str, dict[str, Any]]:
        """The frame's rows by USCC."""

    def frame_columns(
        self, source: Source, policies: Sequence[CompiledPolicy], *, traced: bool
    ) -> set[FrameColumn]:
        """The frame columns ``policies`` read (and a trace of them, if ``traced``), once
        the backend has said it can read ``source``."""
        self.check_source(source)
        columns = requirements(policies)
        if traced:
            columns = columns.union(*(trace_columns(cp) for cp in policies))
        return columns

    def _evaluations(self, frame: H, policies: Sequence[CompiledPolicy]) -> list[Evaluation]:
        out: list[Evaluation] = []
        for chunk, query in self.batches(policies):
            by_index = dict(chunk)
            rows = self.batch_rows(frame, query)
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
        with self.frame(source, policies, usccs=usccs) as frame:
            return self._evaluations(frame, policies)

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
            evaluations = self._evaluations(frame, policies)
            rows = self.frame_rows(frame)
        return traces_of(policies, evaluations, rows, statuses=statuses, snapshot_id=snapshot_id)
