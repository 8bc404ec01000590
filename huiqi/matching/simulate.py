"""Simulation before publishing: a draft policy over a snapshot's whole population.

An officer writing a policy sees, before anything is published or stored, what the
draft would do on today's data: how many enterprises are eligible and how many lack
data, the total cost in exact fen against the budget, the eligible broken down by
district, industry section and size class, the near misses by criterion, and, for a
new version of a published policy, who gains and who loses eligibility against the
version in force (counts and a sample of USCCs). It is the bulk engine (DuckDB) on
one policy with the same compiled rules as matching (``engine/duckdb/population``);
on 200,000 enterprises it answers in well under two seconds (docs/benchmarks.md).

Access: policy authors and publishers whose scope covers the draft policy.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor, PolicyRef, require_policy_scope, require_role
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.engine import CompiledPolicy, compile_policy, get_backend, open_snapshot
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.held import HeldFrame
from huiqi.engine.duckdb.population import (
    PopulationResult,
    Tally,
    population_columns,
    simulate_population,
)
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.snapshot import Snapshot
from huiqi.errors import NotFoundError
from huiqi.matching.district_scope import scoped
from huiqi.matching.published import compiled_version, latest_published
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.dictionary import load_dictionary

# What the eligible are broken down by: static fields, and yearly ones in the data year.
DIMENSIONS = ("district_code", "industry_section", "size_class")
MAX_SAMPLE = 1000
SIMULATORS = (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER)


def require_simulator(actor: Actor) -> None:
    """AccessDenied unless the actor may simulate some policy (the draft's own scope is
    checked when it is simulated)."""
    require_role(actor, "simulate policies", *SIMULATORS)


@dataclass(frozen=True)
class Bucket:
    """One value of a breakdown (None: the registry did not say)."""

    key: str | None
    label_zh: str
    label_en: str
    eligible: int
    needs_data: int
    amount_fen: int


@dataclass(frozen=True)
class CriterionCount:
    id: str
    label_zh: str
    label_en: str
    near_misses: int  # enterprises that fail this criterion alone


@dataclass(frozen=True)
class Comparison:
    """The draft against the published version in force."""

    version: int
    content_hash: str
    eligible_before: int
    eligible_fen_before: int
    gained: int
    lost: int
    amount_changed: int  # eligible under both, with a different amount
    gained_sample: tuple[str, ...]
    lost_sample: tuple[str, ...]


@dataclass(frozen=True)
class Simulation:
    policy_id: str
    version: int
    snapshot_id: int
    enterprises: int
    eligible: int
    near_miss: int
    needs_data: int
    not_eligible: int
    errors: int
    total_fen: int
    budget_fen: int | None
    breakdowns: dict[str, tuple[Bucket, ...]]  # by DIMENSIONS
    near_misses: tuple[CriterionCount, ...]  # the draft's checked criteria, in policy order
    comparison: Comparison | None
    seconds: float

    @property
    def over_budget(self) -> bool:
        return self.budget_fen is not None and self.total_fen > self.budget_fen

    @property
    def budget_left_fen(self) -> int | None:
        return None if self.budget_fen is None else self.budget_fen - self.total_fen


def _buckets(field: str, rows: list[tuple[Any, int, int, int]]) -> tuple[Bucket, ...]:
    d = load_dictionary()
    f = d.get(field)
    codes = d.codelist(f.codes) if f is not None and f.codes else None
    out = []
    for key, eligible, needs, fen in rows:
        zh = codes.label(key, "zh") if codes and key is not None else (key or "未登记")
        en = codes.label(key, "en") if codes and key is not None else (key or "not recorded")
        out.append(Bucket(key, zh, en, eligible, needs, fen))
    return tuple(out)


def _dimensions(cp: CompiledPolicy) -> list[FrameColumn]:
    d = load_dictionary()
    return [
        FrameColumn("yearly", name, year=cp.policy.data_year)
        if d.field(name).yearly
        else FrameColumn("static", name)
        for name in DIMENSIONS
    ]


def simulation_columns(cp: CompiledPolicy) -> set[FrameColumn]:
    """The frame columns a simulation of ``cp`` reads (a server may hold them ahead)."""
    return population_columns(cp, None, _dimensions(cp))


def _comparison(previous: Any, r: PopulationResult, before: Tally) -> Comparison:
    return Comparison(
        version=previous.version,
        content_hash=previous.content_hash,
        eligible_before=before.counts.get("eligible", 0),
        eligible_fen_before=before.eligible_fen,
        gained=r.gained,
        lost=r.lost,
        amount_changed=r.amount_changed,
        gained_sample=tuple(r.gained_sample),
        lost_sample=tuple(r.lost_sample),
    )


@contextmanager
def _frame(
    snapshot: Snapshot,
    columns: set[FrameColumn],
    backend: DuckDBBackend | None,
    held: HeldFrame | None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    if held is not None:
        with held.frame(snapshot, columns) as con:
            yield con
        return
    engine = backend or get_backend("duckdb")
    assert isinstance(engine, DuckDBBackend)
    with engine.connect(snapshot) as con:
        build_frame(con, columns)
        yield con


def simulate(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    text: str,
    filename: str = "draft.yaml",
    snapshot_id: int | None = None,
    sample: int = 20,
    backend: DuckDBBackend | None = None,
    held: HeldFrame | None = None,
) -> Simulation:
    """The draft policy ``text`` (YAML) over every enterprise of a snapshot (the latest).

    ``held``: the frame kept between calls by a long-running process (the web
    server), built once per snapshot instead of once per call.

    Nothing is stored. Raises PolicyError / RuleCompileError (with file, line and column)
    for a draft that does not load or compile, AccessDenied outside the actor's scope.
    """
    started = time.perf_counter()
    require_simulator(actor)  # before the draft is read: no one else learns how it parses
    loaded = load_policy_text(text, filename)
    p = loaded.policy
    require_policy_scope(
        actor,
        PolicyRef(p.level, p.region, p.department.zh),
        f"simulate {p.id}",
        *SIMULATORS,
    )
    # A district officer's simulation is over its district's enterprises (district_scope).
    own = compile_policy(loaded)
    cp = scoped(actor, own, SIMULATORS)
    if not 0 <= sample <= MAX_SAMPLE:
        raise ValueError(f"sample is 0 to {MAX_SAMPLE} USCCs, not {sample}")
    published = latest_published(session, p.id)
    previous = published[0] if published and published[0].content_hash != cp.source_hash else None
    previous_cp = (
        scoped(actor, compiled_version(previous), SIMULATORS) if previous is not None else None
    )
    snapshot = open_snapshot(settings, snapshot_id)
    dims = _dimensions(cp)
    columns = population_columns(cp, previous_cp, dims)
    with _frame(snapshot, columns, backend, held) as con:
        r = simulate_population(con, cp, dims=dims, previous=previous_cp, sample=sample)
    # The draft's own criteria that failing alone can make a near miss: the district
    # criterion a district officer's run adds, and the policy's own scope and status
    # criteria (engine/compile/nearness: 'never'), are never one, and a row "in the
    # district you act for: 0" told the officer nothing it could act on (qa2).
    labels = {c.id: c for c in own.checked if c.nearness != "never"}
    counts = r.tally.counts
    return Simulation(
        policy_id=p.id,
        version=p.version,
        snapshot_id=snapshot.id,
        enterprises=r.enterprises,
        eligible=counts.get("eligible", 0),
        near_miss=counts.get("near_miss", 0),
        needs_data=counts.get("needs_data", 0),
        not_eligible=counts.get("not_eligible", 0),
        errors=counts.get("error", 0),
        total_fen=r.tally.eligible_fen,
        budget_fen=None if p.budget is None else int(p.budget * 100),
        breakdowns={d.field: _buckets(d.field, r.breakdowns[d.field]) for d in dims},
        near_misses=tuple(
            CriterionCount(c.id, c.label_zh, c.label_en, r.near_miss_by_criterion.get(c.id, 0))
            for c in labels.values()
        ),
        comparison=None
        if previous is None or r.previous is None
        else _comparison(previous, r, r.previous),
        seconds=time.perf_counter() - started,
    )


def saved_text(
    session: Session, *, actor: Actor, policy_id: str, version: int | None = None
) -> tuple[str, str]:
    """The YAML a simulation of a policy kept in the ledger reads, and its file name: the
    published ``version`` when given, else the policy's draft (the console's "simulate
    this draft"), else its newest published version (``drafts.open_draft``, which checks
    that the actor edits the policy's drafts). NotFoundError when there is none."""
    from huiqi.delivery.drafts import open_draft
    from huiqi.delivery.models import PolicyVersion

    require_simulator(actor)
    if version is None:
        view = open_draft(session, actor=actor, policy_id=policy_id)
        if view.draft is None and view.published is None:
            raise NotFoundError(
                f"policy '{policy_id}' has neither a draft nor a published version here;"
                " simulate its YAML text instead"
            )
        return view.text, f"{policy_id}.yaml"
    pv = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy_id[:120], PolicyVersion.version == version
        )
    )
    if pv is None:
        raise NotFoundError(
            f"policy '{policy_id[:120]}' has no published version {version}; leave the"
            " version out to simulate its draft or its newest published version"
        )
    return pv.source_yaml, f"{policy_id}@{version}.yaml"
