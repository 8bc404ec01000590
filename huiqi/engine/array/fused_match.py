"""Bulk matching through a fused plan: every policy's kept rows at once, then described.

``FusedBackend`` is the numpy backend with one step replaced: the rows a bulk run keeps
(eligible, needs data, errors, near misses) come from a fused plan (``fused``) evaluated
in one pass for every policy (``outcomes``: NumPy here, the CUDA kernel in
``CupyBackend``). Only the kept rows are then read again on the CPU, to give them what
``match_policy`` gives them: the amount in fen of an eligible row, the mask of unknown
criteria of a needs-data row, the failing criterion of a near miss. Policies the plan
cannot hold go through the numpy backend's own path (and from there, where needed, to
DuckDB), so a run's ``matches.parquet`` is the DuckDB backend's, row for row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from huiqi.engine.array.backend import NumpyBackend
from huiqi.engine.array.columns import Frame
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.fused import FusedBuild, build_plan
from huiqi.engine.array.fused_kernel import CudaPlan
from huiqi.engine.array.fused_plan import (
    FAILS,
    OUTCOMES,
    UNKNOWN,
    FusedResult,
    _NumpyRun,
    run_numpy,
)
from huiqi.engine.array.match import ELIGIBLE, ERROR, NEAR_MISS, NEEDS_DATA, PolicyRows
from huiqi.engine.array.money import to_fen
from huiqi.engine.array.writer import Kept
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.results import Progress

_STATUS = {
    "eligible": ELIGIBLE,
    "needs_data": NEEDS_DATA,
    "error": ERROR,
    "near_miss": NEAR_MISS,
}


def describe(frame: Frame, build: FusedBuild, result: FusedResult) -> list[PolicyRows]:
    """Each planned policy's kept rows as ``match_policy`` gives them (rows ascending)."""
    plan = build.plan
    run = _NumpyRun(plan)
    out = []
    for q, cp in enumerate(build.policies):
        rows = {o: result.rows(o, q) for o in OUTCOMES}
        start, end = int(plan.crit_start[q]), int(plan.crit_start[q + 1])
        own = list(
            zip(plan.crits[start:end].tolist(), plan.crit_pos[start:end].tolist(), strict=True)
        )
        details = {o: np.zeros(len(r), dtype=np.int64) for o, r in rows.items()}
        eligible = rows["eligible"]
        if len(eligible):
            fen = to_fen(cp, Evaluator(frame, eligible).ev(cp.amount), len(eligible))
            if not fen.known.all() or fen.error.any():
                raise RuntimeError(f"{cp.policy.id}: the fused plan and the amount disagree")
            details["eligible"] = fen.fen
        needs, near = rows["needs_data"], rows["near_miss"]
        for c, j in own:
            if len(needs):
                unknown = run.criterion(c, needs) == UNKNOWN
                details["needs_data"] |= unknown.astype(np.int64) << np.int64(j)
            if len(near):
                details["near_miss"][run.graded(c, near) == FAILS] = j
        rid = np.concatenate([rows[o] for o in OUTCOMES])
        status = np.concatenate([np.full(len(rows[o]), _STATUS[o], np.uint8) for o in OUTCOMES])
        detail = np.concatenate([details[o] for o in OUTCOMES])
        order = np.argsort(rid, kind="stable")
        out.append(PolicyRows(rid[order].astype(np.int32), status[order], detail[order]))
    return out


class FusedBackend(NumpyBackend):
    """The numpy backend whose kept rows come from a fused plan, evaluated by NumPy.

    Slower than the numpy backend on a CPU (one pass per policy over every row, no
    indexes to start from): it is the reference ``CupyBackend`` runs against, not
    registered as a backend of its own.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # The plan of the last frame and policies (building one costs a sort per column),
        # with them: held, they are the same objects, never others at a reused address.
        self._built: tuple[Frame, tuple[CompiledPolicy, ...], FusedBuild] | None = None

    def plan(self, frame: Frame, policies: Sequence[CompiledPolicy]) -> FusedBuild:
        built = self._built
        same = (
            built is not None
            and built[0] is frame
            and len(built[1]) == len(policies)
            and all(a is b for a, b in zip(built[1], policies, strict=True))
        )
        if not same:
            built = self._built = (frame, tuple(policies), build_plan(frame, policies))
        assert built is not None
        return built[2]

    def outcomes(self, build: FusedBuild) -> FusedResult:
        return run_numpy(build.plan, near_misses=True)

    def match_frame(
        self, frame: Frame, policies: Sequence[CompiledPolicy], *, progress: Progress | None = None
    ) -> tuple[Kept, list[float], dict[int, str]]:
        started = time.perf_counter()
        build = self.plan(frame, policies)
        described = describe(frame, build, self.outcomes(build))
        planned = {id(cp): i for i, cp in enumerate(policies)}
        kept = Kept()
        for cp, rows in zip(build.policies, described, strict=True):
            kept.add(rows.rid, planned[id(cp)], rows.status, rows.detail, cp=cp)
        share = (time.perf_counter() - started) / max(len(build.policies), 1)
        seconds = [share] * len(policies)
        if progress:
            progress("match", len(build.policies), len(policies))
        chosen = {id(cp) for cp in build.policies}
        rest = [i for i, cp in enumerate(policies) if id(cp) not in chosen]
        fallbacks: dict[int, str] = {}
        if rest:
            sub, sub_seconds, sub_fallbacks = super().match_frame(
                frame, [policies[i] for i in rest]
            )
            for rid, j, status, detail in sub.parts:
                kept.parts.append((rid, rest[j], status, detail))
            kept.near.update({rest[j]: found for j, found in sub.near.items()})
            kept.errors += [(r, rest[j], why) for r, j, why in sub.errors]
            for j, s in enumerate(sub_seconds):
                seconds[rest[j]] = s
            fallbacks = {rest[j]: why for j, why in sub_fallbacks.items()}
        return kept, seconds, fallbacks


class CupyBackend(FusedBackend):
    """Bulk matching on a GPU through CuPy: the fused plan held on the GPU and evaluated
    by one kernel launch for every policy (``fused_kernel.CudaPlan``); the rows it keeps
    are described on the CPU as ``FusedBackend`` does. Without CuPy or a GPU it is refused
    with the reason (``namespace``), never run on the CPU under the GPU's name.
    """

    name: ClassVar[str] = "cupy"
    namespace: ClassVar[str] = "cupy"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._held: tuple[FusedBuild, CudaPlan] | None = None

    def outcomes(self, build: FusedBuild) -> FusedResult:
        if self._held is None or self._held[0] is not build:
            self._held = (build, CudaPlan(build.plan, self.xp, near_misses=True))
        held = self._held[1]
        held.run()
        return held.rows()
