"""Conformance: every backend gives the reference's rows, statuses and amounts to the fen.

One generated population (random enterprises with every field type, missing values,
money on half-fen edges, month-end dates, qualifications and tags), frozen as a
snapshot's Parquet files, and the library plus 230 generated policies (every
operator, NULL cases, amounts near rounding boundaries: ``conformance_policies``).
Every registered backend that can run here is compared with the pure-Python
reference (``python``) on every enterprise x policy; a backend that cannot run here
(no Java, no database URL, a missing package) is skipped with its reason. Bulk
backends also write ``matches.parquet`` with the DuckDB matcher's schema and rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from backends_available import backend_or_skip_reason
from conformance_policies import (
    library_policies,
    margin_policies,
    operator_policies,
    synthetic_policies,
)
from engine_factories import random_profiles

from huiqi.engine import CompiledPolicy, Evaluation, get_backend
from huiqi.engine.backend import backend_names
from huiqi.engine.profile import RawProfile
from huiqi.engine.snapshot import Snapshot
from huiqi.engine.sql.backend import SqlBackend
from huiqi.engine.sql.sources import source_files

N_PROFILES = 300
N_OPERATOR = 170
N_SYNTHETIC = 60
OTHERS = [name for name in backend_names() if name != "python"]


@pytest.fixture(scope="module")
def population() -> list[RawProfile]:
    return random_profiles(N_PROFILES, seed=13)


@pytest.fixture(scope="module")
def snapshot(population: list[RawProfile], tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    directory = tmp_path_factory.mktemp("conformance-snapshot")
    return Snapshot(13, source_files(population, directory))


@pytest.fixture(scope="module")
def policies() -> list[CompiledPolicy]:
    return (
        library_policies()
        + margin_policies()
        + operator_policies(N_OPERATOR)
        + synthetic_policies(N_SYNTHETIC)
    )


def _by_key(rows: list[Evaluation]) -> dict[tuple[str, str], Evaluation]:
    return {(r.policy_id, r.uscc): r for r in rows}


@pytest.fixture(scope="module")
def reference(
    population: list[RawProfile], policies: list[CompiledPolicy]
) -> dict[tuple[str, str], Evaluation]:
    return _by_key(get_backend("python").evaluate(population, policies))


@pytest.fixture(scope="module", params=OTHERS)
def backend_name(request: pytest.FixtureRequest) -> Iterator[str]:
    ready = backend_or_skip_reason(request.param)
    if isinstance(ready, str):
        pytest.skip(ready)
    yield request.param


def test_the_generated_policies_cover_every_operator(policies: list[CompiledPolicy]) -> None:
    exprs = " ".join(c.expr or "" for cp in policies for c in cp.policy.criteria)
    words = ("BETWEEN", " IN (", "NOT IN", "IS NULL", "IS NOT NULL", " AND ", " OR ", "NOT (")
    words += (" / ", " * ", " - ", " + ", "ABS(", "GREATEST(", "LEAST(", "COALESCE(", "CASE WHEN")
    words += ("INTERVAL", "'测试企业'", "holds(", "recognised_in(", "has_tag(", "NULL", "<>", "<=")
    assert [w for w in words if w not in exprs] == []
    assert len(policies) - len(library_policies()) >= 200
    assert {"never", "margin", "always"} <= {c.nearness for cp in policies for c in cp.checked}


def test_near_misses_sit_on_margin_bounds(
    reference: dict[tuple[str, str], Evaluation],
) -> None:
    """The population holds values exactly at margin bounds (400000.05 for 'near-00')."""
    near = [r for r in reference.values() if r.policy_id.startswith("near-")]
    statuses = {(r.policy_id, r.status) for r in near}
    assert ("near-00", "near_miss") in statuses
    assert ("near-08", "near_miss") in statuses  # an attainable qualification
    assert ("near-06", "near_miss") not in statuses  # margin 0


def test_the_population_sits_on_rounding_edges_and_misses_values(
    reference: dict[tuple[str, str], Evaluation],
) -> None:
    statuses = {r.status for r in reference.values()}
    assert {"eligible", "near_miss", "needs_data", "not_eligible"} <= statuses
    # Amounts whose formula's value ends in exactly half a fen: rounding decides them.
    halves = [
        r
        for r in reference.values()
        if r.amount_yuan is not None and (r.amount_yuan * 1000) % 10 == 5
    ]
    assert len(halves) > 20


def test_backend_gives_the_reference_rows_statuses_and_amounts(
    backend_name: str,
    population: list[RawProfile],
    snapshot: Snapshot,
    policies: list[CompiledPolicy],
    reference: dict[tuple[str, str], Evaluation],
) -> None:
    backend = backend_or_skip_reason(backend_name)
    assert not isinstance(backend, str)
    source = snapshot if backend.supports_snapshots else population
    # A backend for chosen enterprises (single) reads each one out of the snapshot.
    chosen = None if backend.supports_bulk else [p.uscc for p in population]
    got = _by_key(backend.evaluate(source, policies, usccs=chosen))
    assert got.keys() == reference.keys()
    wrong = [
        (key, (r.status, r.amount_fen, r.values), (g.status, g.amount_fen, g.values))
        for key, r in reference.items()
        if (g := got[key]).status != r.status
        or g.amount_fen != r.amount_fen
        or g.values != r.values
        or (g.failed, g.unknown) != (r.failed, r.unknown)
    ]
    assert wrong[:5] == [] and len(wrong) == 0


def _matches(path: Path) -> tuple[object, list[tuple[object, ...]]]:
    table = pq.read_table(path)
    rows = sorted(
        zip(*(table.column(n).to_pylist() for n in table.column_names), strict=True),
        key=repr,
    )
    return table.schema, rows


def test_bulk_backend_writes_the_duckdb_matchers_matches(
    backend_name: str,
    snapshot: Snapshot,
    policies: list[CompiledPolicy],
    tmp_path: Path,
) -> None:
    backend = backend_or_skip_reason(backend_name)
    assert not isinstance(backend, str)
    if not backend.supports_bulk or backend_name == "duckdb":
        pytest.skip(f"the {backend_name} backend is the reference for bulk matching or has none")
    # The library's and the near-miss policies: some keep near-miss rows, some only count them.
    chosen = policies[:50]
    runs = {}
    for name, b in (("duckdb", get_backend("duckdb")), (backend_name, backend)):
        out = tmp_path / name
        out.mkdir()
        runs[name] = (b.match(snapshot, chosen, run_id=name, out_dir=out), out)
    (want, want_dir), (got, got_dir) = runs["duckdb"], runs[backend_name]
    want_schema, want_rows = _matches(want_dir / "matches.parquet")
    got_schema, got_rows = _matches(got_dir / "matches.parquet")
    assert got_schema == want_schema
    assert len(got_rows) == len(want_rows) > 0
    assert got_rows == want_rows
    assert got.enterprises == want.enterprises
    assert got.enterprises_with_match == want.enterprises_with_match
    assert [
        (p.policy_id, p.eligible, p.near_miss, p.needs_data, p.error, p.amount_fen)
        for p in got.policies
    ] == [
        (p.policy_id, p.eligible, p.near_miss, p.needs_data, p.error, p.amount_fen)
        for p in want.policies
    ]
    assert got.near_misses == want.near_misses
    assert [p.near_miss_by_criterion for p in got.policies] == [
        p.near_miss_by_criterion for p in want.policies
    ]
    assert pq.read_table(got_dir / "near_misses.parquet") == pq.read_table(
        want_dir / "near_misses.parquet"
    )


def test_bulk_statements_keep_exactly_the_rows_that_are_not_not_eligible(
    backend_name: str, snapshot: Snapshot, policies: list[CompiledPolicy]
) -> None:
    """The statements bulk matching runs skip hopeless rows before computing a policy's
    columns (``sql.evaluation.hopeless``); what they keep must be every row, and only
    the rows, the full statements give that are not 'not eligible', with the same
    columns: over every generated and library policy."""
    backend = backend_or_skip_reason(backend_name)
    assert not isinstance(backend, str)
    if not isinstance(backend, SqlBackend):
        pytest.skip(f"the {backend_name} backend runs no SQL statements of its own")
    if backend_name == "spark":
        # ``hopeless`` is the same tree on every backend and checked above on all of them
        # (PostgreSQL); Spark's own part is how it guards a policy's columns, which a fifth
        # of the policies shows (a third took 200 s of Spark planning on a slow host).
        policies = policies[::5]
    with backend.frame(snapshot, policies) as frame:
        full = [
            row
            for _, query in backend.batches(policies)
            for row in backend.batch_rows(frame, query)
            if row["status"] != "not_eligible"
        ]
        kept = [
            row
            for _, query in backend.batches(policies, kept_only=True)
            for row in backend.batch_rows(frame, query)
        ]
    assert len(full) > 0
    assert {r["status"] for r in full} >= {"eligible", "near_miss", "needs_data"}
    assert sorted(kept, key=repr) == sorted(full, key=repr)
