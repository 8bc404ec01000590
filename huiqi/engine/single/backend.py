"""The one-enterprise backend: a few enterprises against many policies, in process.

Explaining one enterprise against every policy in force, re-matching an enterprise
whose data changed, the calculator and the near misses all ask the same question: all
policies, one enterprise. Bulk engines answer it slowly (one query per policy over a
frame built for one row); this backend reads the enterprise's profile straight out of
the snapshot (``lookup``) and runs the policies as closures compiled once per process
(``program``), each distinct criterion evaluated once. Its answers are the reference
evaluator's, which the oracle tests hold it to.

It does not match whole snapshots (``supports_bulk`` is false) and refuses to evaluate
one without ``usccs``: a population goes to a bulk backend.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from typing import Any, ClassVar

from huiqi.engine.backend import Backend, Source, get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.profile import RawProfile
from huiqi.engine.related import Population
from huiqi.engine.results import STATUSES, Evaluation
from huiqi.engine.single.lookup import reader
from huiqi.engine.single.program import Program
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.trace import PolicyTrace
from huiqi.errors import ConfigError

# Programs by the identity of their policies (compiled policies are cached by content
# hash, so the same policies in force come back as the same objects).
_PROGRAMS: OrderedDict[tuple[int, ...], tuple[tuple[CompiledPolicy, ...], Program]] = OrderedDict()
_PROGRAMS_LOCK = threading.Lock()
_KEEP = 16


def program_for(policies: Sequence[CompiledPolicy]) -> Program:
    """The process's program of exactly these compiled policies, built on first use."""
    chosen = tuple(policies)
    key = tuple(id(cp) for cp in chosen)
    with _PROGRAMS_LOCK:
        found = _PROGRAMS.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], chosen, strict=True)):
            _PROGRAMS.move_to_end(key)
            return found[1]
    program = Program(chosen)  # outside the lock: compiling 700 policies takes a while
    with _PROGRAMS_LOCK:
        _PROGRAMS[key] = (chosen, program)
        while len(_PROGRAMS) > _KEEP:
            _PROGRAMS.popitem(last=False)
    return program


class SingleBackend(Backend):
    name: ClassVar[str] = "single"
    dialect: ClassVar[str | None] = None
    supports_bulk: ClassVar[bool] = False
    supports_snapshots: ClassVar[bool] = True

    def _profiles(
        self, source: Source, usccs: Sequence[str] | None, program: Program
    ) -> tuple[list[RawProfile], Population]:
        """The profiles asked for (by USCC) and the population they are evaluated in."""
        if isinstance(source, Snapshot):
            if usccs is None:
                raise ConfigError(
                    "the single backend evaluates chosen enterprises (usccs); match a whole"
                    " snapshot with a bulk backend (duckdb)"
                )
            snap = reader(source)
            if program.links:
                chosen, pop = snap.population(usccs, groups=program.groups, fields=program.fields)
            else:
                chosen = snap.profiles(usccs, program.fields)
                pop = Population(chosen.values(), contract_years=set())
            return sorted(chosen.values(), key=lambda p: p.uscc), pop
        profiles = list(source)
        pop = Population(profiles)
        if usccs is not None:
            wanted = set(usccs)
            profiles = [p for p in profiles if p.uscc in wanted]
        return sorted(profiles, key=lambda p: p.uscc), pop

    def evaluate(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
    ) -> list[Evaluation]:
        program = program_for(policies)
        profiles, pop = self._profiles(source, usccs, program)
        found: list[tuple[int, str, Evaluation]] = []
        wide_of: dict[str, list[int]] = {}
        for prof in profiles:
            row = program.row(prof, pop)
            wide = program.wide(row)
            found += [(i, prof.uscc, ev) for i, ev in program.kept(prof, pop, row=row, skip=wide)]
            if wide:
                wide_of[prof.uscc] = sorted(wide)
        found += self._bulk(source, program, wide_of, evaluate=True)
        # By policy, then enterprise, as every backend answers.
        return [ev for _, _, ev in sorted(found, key=lambda t: t[:2])]

    def trace(
        self,
        source: Source,
        policies: Sequence[CompiledPolicy],
        *,
        usccs: Sequence[str] | None = None,
        statuses: Collection[str] = STATUSES,
        snapshot_id: int | None = None,
    ) -> list[PolicyTrace]:
        program = program_for(policies)
        profiles, pop = self._profiles(source, usccs, program)
        sid = source.id if isinstance(source, Snapshot) and snapshot_id is None else snapshot_id
        found: list[tuple[int, str, PolicyTrace]] = []
        wide_of: dict[str, list[int]] = {}
        for prof in profiles:
            row = program.row(prof, pop)
            wide = program.wide(row)
            pairs = program.trace(prof, pop, statuses=statuses, snapshot_id=sid, row=row, skip=wide)
            found += [(i, prof.uscc, t) for i, t in pairs]
            if wide:
                wide_of[prof.uscc] = sorted(wide)
        found += [
            (i, u, t)
            for i, u, t in self._bulk(source, program, wide_of, sid=sid)
            if t.status in statuses
        ]
        # By policy, then enterprise.
        return [t for _, _, t in sorted(found, key=lambda t: t[:2])]

    @staticmethod
    def _bulk(
        source: Source,
        program: Program,
        wide_of: dict[str, list[int]],
        *,
        sid: int | None = None,
        evaluate: bool = False,
    ) -> list[tuple[int, str, Any]]:
        """Policies reading a value wider than its dictionary range, on the bulk engine
        (whose sized arithmetic decides whether such a row is an error), with their index.

        One call for every enterprise that has such a value (``wide_of``: USCC → the
        policies' indexes), not one per enterprise: each call loads the source, so a
        population with many wide values was evaluated in time quadratic in its size."""
        if not wide_of:
            return []
        indexes = sorted(set().union(*wide_of.values()))
        chosen = [program.policies[i] for i in indexes]
        usccs = sorted(wide_of)
        bulk = get_backend("duckdb")
        if evaluate:
            rows: list[Any] = bulk.evaluate(source, chosen, usccs=usccs)
        else:
            rows = bulk.trace(source, chosen, usccs=usccs, snapshot_id=sid)
        # The bulk engine answers one row per policy and enterprise, by policy in the order
        # asked (the enterprises in the source's order within each policy).
        n = len(usccs)
        if len(rows) != len(chosen) * n:
            raise RuntimeError(f"{len(rows)} rows for {len(chosen)} policies x {n} enterprises")
        out: list[tuple[int, str, Any]] = []
        for g, (i, policy) in enumerate(zip(indexes, chosen, strict=True)):
            group = rows[g * n : (g + 1) * n]
            if {r.policy_id for r in group} != {policy.policy.id} or (
                {r.uscc for r in group} != set(usccs)
            ):
                raise RuntimeError(
                    f"the bulk engine's rows for {policy.policy.id} are not as asked"
                )
            out += [(i, r.uscc, r) for r in group if i in wide_of[r.uscc]]
        return out
