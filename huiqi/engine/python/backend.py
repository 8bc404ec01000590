"""The pure-Python backend: the reference evaluator (``pyeval``) behind the Backend seam.

Slow and obvious on purpose (a few thousand evaluations a second): it exists so
that the tests can run the same policies on every backend and on it, and assert
equal results and equal traces. It reads profiles held in memory, not snapshots.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import ClassVar

from huiqi.engine.backend import Backend, Source
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.profile import RawProfile
from huiqi.engine.python.pyeval import column_value, evaluate_policy
from huiqi.engine.related import Population
from huiqi.engine.results import STATUSES, Evaluation
from huiqi.engine.trace import PolicyTrace
from huiqi.engine.tracing import TraceBuilder, trace_columns


class PythonBackend(Backend):
    name: ClassVar[str] = "python"
    dialect: ClassVar[str | None] = None
    supports_bulk: ClassVar[bool] = False
    supports_snapshots: ClassVar[bool] = False

    def _profiles(
        self, source: Source, usccs: Sequence[str] | None
    ) -> tuple[list[RawProfile], Population]:
        """The profiles asked for, and the whole source as the population they live in."""
        self.check_source(source)
        profiles = list(source)  # type: ignore[arg-type]  # a Snapshot was refused above
        pop = Population(profiles)
        if usccs is None:
            return profiles, pop
        wanted = set(usccs)
        return [p for p in profiles if p.uscc in wanted], pop

    @staticmethod
    def _evaluation(cp: CompiledPolicy, prof: RawProfile, pop: Population) -> Evaluation:
        r = evaluate_policy(cp, prof, pop)
        return Evaluation(
            uscc=prof.uscc,
            policy_id=cp.policy.id,
            status=r.status,
            amount_fen=r.amount_fen,
            values=r.values,
            failed=r.failed,
            unknown=r.unknown,
            amount_yuan=r.amount_yuan,
            error=r.error,
        )

    def evaluate(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
    ) -> list[Evaluation]:
        profiles, pop = self._profiles(source, usccs)
        return [self._evaluation(cp, prof, pop) for cp in policies for prof in profiles]

    def trace(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
    ) -> list[PolicyTrace]:
        chosen, pop = self._profiles(source, usccs)
        profiles = sorted(chosen, key=lambda p: p.uscc)
        out: list[PolicyTrace] = []
        for cp in policies:
            builder = TraceBuilder(cp, snapshot_id=snapshot_id)
            columns = sorted(trace_columns(cp))
            for prof in profiles:
                ev = self._evaluation(cp, prof, pop)
                if ev.status in statuses:
                    values = {c.name: column_value(c.name, prof, pop) for c in columns}
                    out.append(builder.build(ev, values))
        return out
