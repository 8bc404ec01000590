"""The fused plan (``array.fused``) and its evaluators (``array.fused_plan``: NumPy;
``array.fused_kernel``: CUDA).

* Over one snapshot (random enterprises with every field type and ~15 % NULLs) and the
  library, the engine's test policies and generated policies (every operator), the
  fused NumPy evaluator keeps the rows ``match_policy(near_misses=False)`` keeps, with
  the same outcome (eligible, needs data, error), policy by policy;
* a test or an amount reading several columns reads a value derived from them once;
* a construct the array evaluator has no rule for leaves its policy to another path, which
  says why;
* hypothesis-generated rules over one column and across columns agree as well;
* a plan saves and loads unchanged;
* the CUDA kernel gives the NumPy evaluator's bitmaps where a GPU is usable, and is
  skipped with the reason where not (never faked).
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from engine_factories import (
    every_policy,
    frozen_snapshot,
    policy_yaml,
    random_profiles,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from test_fuzz_rules import BOOLEAN, NUMERIC

from huiqi.engine import CompiledPolicy, MatchRun, compile_policy, get_backend
from huiqi.engine.array.backend import NumpyBackend
from huiqi.engine.array.columns import Column, Frame
from huiqi.engine.array.criteria import CriterionStore
from huiqi.engine.array.fused import build_plan
from huiqi.engine.array.fused_buckets import bucket, leaf_codes, sorted_distinct
from huiqi.engine.array.fused_kernel import CudaPlan, entries, run_cuda
from huiqi.engine.array.fused_leaves import Leaf, depth, program
from huiqi.engine.array.fused_match import CupyBackend, FusedBackend
from huiqi.engine.array.fused_plan import (
    AND,
    NOT,
    OR,
    OUTCOMES,
    FusedPlan,
    FusedResult,
    _NumpyRun,
    and3,
    or3,
    run_numpy,
)
from huiqi.engine.array.match import ELIGIBLE, ERROR, NEAR_MISS, NEEDS_DATA, match_policy
from huiqi.engine.array.namespace import array_namespace
from huiqi.engine.array.values import Unsupported
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.snapshot import Snapshot
from huiqi.errors import ConfigError, PolicyError
from huiqi.policies.loader import load_policy_text

N_PROFILES = 1200


@pytest.fixture(scope="module")
def compiled() -> list[CompiledPolicy]:
    return every_policy(120, seed=23)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    where = tmp_path_factory.mktemp("snapshot")
    return frozen_snapshot(where, random_profiles(N_PROFILES, seed=5), 52)


@pytest.fixture(scope="module")
def backend() -> NumpyBackend:
    got = get_backend("numpy")
    assert isinstance(got, NumpyBackend)
    return got


def _expected(
    cp: CompiledPolicy, frame: Frame, *, near_misses: bool = False
) -> dict[str, list[int]]:
    got = match_policy(cp, CriterionStore(frame, [cp]), frame, near_misses=near_misses)
    rid, status = got.rid.astype(np.int64), got.status
    return {
        outcome: sorted(rid[status == code].tolist())
        for outcome, code in zip(OUTCOMES, (ELIGIBLE, NEEDS_DATA, ERROR, NEAR_MISS), strict=True)
    }


def _same_as_match_policy(
    policies: list[CompiledPolicy], frame: Frame, *, near_misses: bool = False
) -> FusedResult:
    build = build_plan(frame, policies)
    result = run_numpy(build.plan, near_misses=near_misses)
    assert build.plan.policy_ids == [cp.policy.id for cp in build.policies]
    for q, cp in enumerate(build.policies):
        want = _expected(cp, frame, near_misses=near_misses)
        for k, outcome in enumerate(OUTCOMES):
            assert result.rows(outcome, q).tolist() == want[outcome], (cp.policy.id, outcome)
            assert result.counts[q, k] == len(want[outcome])
    return result


def test_fused_rows_are_the_rows_match_policy_keeps(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    frame = backend.frame(snapshot, requirements(compiled))
    build = build_plan(frame, compiled)
    # Tests on several columns read derived values: only constructs without an array
    # rule are left to another path.
    assert len(build.policies) >= 160, build.others
    result = _same_as_match_policy(compiled, frame)
    assert result.counts[:, 0].sum() > 0 and result.counts[:, 1].sum() > 0
    assert result.counts[:, 3].sum() == 0  # no near misses asked for
    # Columns with many distinct values fall into few buckets: the tests' thresholds.
    assert max(int(b.max()) for b in build.plan.buckets) < N_PROFILES


def test_with_near_misses_the_fused_rows_are_the_rows_match_policy_keeps(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    frame = backend.frame(snapshot, requirements(compiled))
    result = _same_as_match_policy(compiled, frame, near_misses=True)
    assert result.counts[:, 3].sum() > 0


def _policy(pid: str, criteria: list[str], formula: str = "10000") -> CompiledPolicy:
    crits = [(f"c{i}", e) for i, e in enumerate(criteria)]
    return compile_policy(load_policy_text(policy_yaml(crits, policy_id=pid, formula=formula), "p"))


def test_tests_and_amounts_on_several_columns_read_derived_values(
    backend: NumpyBackend, snapshot: Snapshot
) -> None:
    policies = [
        _policy("sum", ["(revenue + rd_expense) >= 500000", "revenue - rd_expense > 0"]),
        _policy("pair", ["20000 * rd_expense >= 999 * revenue OR employees > 30"]),
        _policy("paid", ["revenue > 0"], formula="0.1 * revenue + 0.2 * rd_expense"),
    ]
    frame = backend.frame(snapshot, requirements(policies))
    build = build_plan(frame, policies)
    assert not build.others
    assert sum(name.startswith("__fused_") for name in build.plan.columns) == 4
    _same_as_match_policy(policies, frame)


def test_a_construct_without_an_array_rule_goes_to_another_path(
    backend: NumpyBackend, snapshot: Snapshot
) -> None:
    cp = _policy("named", ["name <> 'x'", "revenue > 1000"])
    tree = exp.GT(
        this=exp.Length(this=exp.column("name", quoted=True)), expression=exp.Literal.number(4)
    )
    odd = dataclasses.replace(
        cp, criteria=(dataclasses.replace(cp.criteria[0], tree=tree), cp.criteria[1])
    )
    plain = _policy("plain", ["revenue >= 100"])
    frame = backend.frame(snapshot, requirements([odd, plain]))
    build = build_plan(frame, [odd, plain])
    assert build.others == {"named": "the array evaluator has no rule for Length"}
    assert build.plan.policy_ids == ["plain"]
    _same_as_match_policy([plain], frame)


def test_programs_combine_leaves_with_three_valued_logic() -> None:
    from huiqi.engine.array.fused_leaves import Leaves

    leaves = Leaves()
    tree = (
        compile_policy(
            load_policy_text(
                policy_yaml([("c", "NOT (employees > 5 OR revenue < 10) AND holds(high_tech)")]),
                "m.yaml",
            )
        )
        .checked[0]
        .tree
    )
    assert tree is not None
    ops = program(tree, leaves)
    assert sorted(op for op in ops if op < 0) == sorted([NOT, OR, AND])
    assert depth(ops) == 2 and len(leaves.items) == 3
    codes = np.array([0, 1, 2], dtype=np.uint8)
    a, b = np.repeat(codes, 3), np.tile(codes, 3)
    # Kleene's tables: FALSE wins an AND, TRUE wins an OR, otherwise unknown spreads.
    assert and3(a, b).tolist() == [0, 1, 2, 1, 1, 1, 2, 1, 2]
    assert or3(a, b).tolist() == [0, 0, 0, 0, 1, 2, 0, 2, 2]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(exprs=st.lists(BOOLEAN, min_size=1, max_size=4), formula=NUMERIC)
def test_generated_rules_keep_the_same_rows(
    backend: NumpyBackend, snapshot: Snapshot, exprs: list[str], formula: str
) -> None:
    crits = [(f"c{i}", e) for i, e in enumerate(exprs)]
    try:
        cp = compile_policy(load_policy_text(policy_yaml(crits, formula=formula), "gen.yaml"))
    except PolicyError:
        return  # refused at compile time: the fuzz tests check how
    frame = backend.frame(snapshot, requirements([cp]))
    try:
        _expected(cp, frame)
    except Unsupported:
        return  # the array backend hands it to DuckDB: not this comparison's case
    _same_as_match_policy([cp], frame)


def test_a_plan_saves_and_loads_unchanged(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy], tmp_path: Path
) -> None:
    frame = backend.frame(snapshot, requirements(compiled))
    plan = build_plan(frame, compiled[:30]).plan
    plan.save(tmp_path / "plan.npz")
    again = FusedPlan.load(tmp_path / "plan.npz")
    assert again.policy_ids == plan.policy_ids and again.columns == plan.columns
    assert run_numpy(again).digest() == run_numpy(plan).digest()


def _cupy() -> Any:
    try:
        return array_namespace("cupy")
    except ConfigError as exc:
        pytest.skip(str(exc))


def test_the_cuda_kernel_gives_the_numpy_bitmaps(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    cupy = _cupy()
    frame = backend.frame(snapshot, requirements(compiled))
    plan = build_plan(frame, compiled).plan
    for near_misses in (False, True):
        want = run_numpy(plan, near_misses=near_misses)
        got = run_cuda(plan, cupy, near_misses=near_misses)
        assert got.digest() == want.digest()
        assert got.counts.tolist() == want.counts.tolist()
        held = CudaPlan(plan, cupy, near_misses=near_misses)
        held.run()
        gathered = held.rows()  # the rows gathered on the GPU, not the bitmaps
        for q in range(len(plan.amount_leaf)):
            for outcome in OUTCOMES:
                assert gathered.rows(outcome, q).tolist() == want.rows(outcome, q).tolist()


def _emulate(plan: FusedPlan, rows: Any, *, near_misses: bool) -> Any:
    """The CUDA kernel's loop over ``entries`` in NumPy: outcome per (policy, row)."""
    ecol, etab, acol, atab, flags, enear, enprog = entries(plan, near_misses=near_misses)
    run = _NumpyRun(plan)

    def read(col: int, start: int) -> Any:
        b = 0 if col < 0 else plan.buckets[col][rows]
        return plan.tables[start + b] if col >= 0 else np.full(len(rows), plan.tables[start])

    out = np.full((len(plan.amount_leaf), len(rows)), 4, dtype=np.uint8)
    for q in range(len(plan.amount_leaf)):
        fails = np.zeros(len(rows), dtype=np.int64)
        unknown = np.zeros(len(rows), dtype=bool)
        for k in range(plan.crit_start[q], plan.crit_start[q + 1]):
            code = read(ecol[k], etab[k]) if ecol[k] >= -1 else run.criterion(etab[k], rows)
            hard = code == 1
            if near_misses and enear[k] == 0:
                hard = np.zeros(len(rows), dtype=bool)
            elif near_misses and enear[k] == 2:
                hard &= run.criterion(enprog[k], rows) != 0
            fails += np.where(hard, 2, code == 1)
            unknown |= code == 2
        amount = read(acol[q], atab[q])
        clean = np.where(amount == 0, 0, np.where(amount == 3, 2, 1))
        dropped = (fails >= 2) | ((fails == 1) & unknown)
        out[q] = np.where(dropped, 4, np.where(fails == 1, 3, np.where(unknown, 1, clean)))
        for bit, outcome in ((1, 1), (2, 2), (4, 3)):
            assert flags[q] & bit or not (out[q] == outcome).any()
    return out


@pytest.mark.parametrize("near_misses", [False, True])
def test_what_the_kernel_reads_gives_the_numpy_outcomes(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy], near_misses: bool
) -> None:
    frame = backend.frame(snapshot, requirements(compiled))
    plan = build_plan(frame, compiled).plan
    got = _emulate(plan, np.arange(plan.n), near_misses=near_misses)
    want = run_numpy(plan, near_misses=near_misses)
    for k, outcome in enumerate(OUTCOMES):
        for q in range(len(plan.amount_leaf)):
            assert np.flatnonzero(got[q] == k).tolist() == want.rows(outcome, q).tolist()
    assert (got == 1).any() and (got == 0).any() and (got == 3).any() == near_misses


def _written(out: Path) -> list[tuple[Any, ...]]:
    path = str(out / "matches.parquet")
    return duckdb.execute("SELECT * FROM read_parquet(?) ORDER BY ALL", [path]).fetchall()


def _same_run_as_duckdb(
    backend: NumpyBackend, snapshot: Snapshot, policies: list[CompiledPolicy], out: Path
) -> MatchRun:
    (out / "duckdb").mkdir()
    (out / "fused").mkdir()
    duck = get_backend("duckdb").match(snapshot, policies, run_id="d", out_dir=out / "duckdb")
    run = backend.match(snapshot, policies, run_id="f", out_dir=out / "fused")
    assert _written(out / "fused") == _written(out / "duckdb")
    for a, d in zip(run.policies, duck.policies, strict=True):
        assert dataclasses.replace(a, seconds=0) == dataclasses.replace(d, seconds=0)
    assert (run.enterprises_with_match, run.near_misses) == (
        duck.enterprises_with_match,
        duck.near_misses,
    )
    return run


def test_a_fused_run_writes_the_rows_duckdb_writes(
    snapshot: Snapshot, compiled: list[CompiledPolicy], tmp_path: Path
) -> None:
    """Amounts, masks of unknown criteria, near misses and their counts, policies left to
    the numpy path and from there to DuckDB: the same file as the DuckDB backend's."""
    cp = _policy("named", ["name <> 'x'", "revenue > 1000"])
    tree = exp.GT(
        this=exp.Length(this=exp.column("name", quoted=True)), expression=exp.Literal.number(4)
    )
    odd = dataclasses.replace(
        cp, criteria=(dataclasses.replace(cp.criteria[0], tree=tree), cp.criteria[1])
    )
    policies = [*compiled[:3], odd, *compiled[3:]]
    run = _same_run_as_duckdb(FusedBackend(), snapshot, policies, tmp_path)
    assert run.fallbacks == [
        {"policy_id": "named", "reason": "the array evaluator has no rule for Length"}
    ]
    assert run.near_misses  # near misses counted and written, as DuckDB does


def test_the_cupy_backend_writes_the_rows_duckdb_writes(
    snapshot: Snapshot, compiled: list[CompiledPolicy], tmp_path: Path
) -> None:
    _cupy()
    backend = get_backend("cupy")
    assert isinstance(backend, CupyBackend)
    _same_run_as_duckdb(backend, snapshot, compiled, tmp_path)


def test_a_column_null_on_every_row_is_onebucket(backend: NumpyBackend, snapshot: Snapshot) -> None:
    policies = [
        _policy("rich", ["revenue > 100", "employees >= 3"]),
        _policy("either", ["revenue > 100 OR employees >= 3"], formula="0.1 * revenue"),
    ]
    loaded = backend.frame(snapshot, requirements(policies))
    frame = Frame(uscc=loaded.uscc, columns=dict(loaded.columns))
    (name,) = [c.name for c in requirements(policies) if c.name.startswith("revenue")]
    col = frame.columns[name]
    frame.columns[name] = dataclasses.replace(col, known=np.zeros(frame.rows, dtype=bool))
    build = build_plan(frame, policies)
    assert int(build.plan.buckets[build.plan.columns.index(name)].max()) == 0
    for near_misses in (False, True):
        _same_as_match_policy(policies, frame, near_misses=near_misses)


def test_rows_gathered_in_one_array_read_as_the_bitmaps(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    """The layout ``CudaPlan.rows`` returns: outcome-major, then policy, rows ascending."""
    frame = backend.frame(snapshot, requirements(compiled))
    plan = build_plan(frame, compiled[:40]).plan
    bits = run_numpy(plan, near_misses=True)
    policies = len(plan.amount_leaf)
    parts = [bits.rows(o, q) for o in OUTCOMES for q in range(policies)]
    offsets = np.concatenate([[0], np.cumsum(bits.counts.T.reshape(-1))])
    flat = np.concatenate(parts).astype(np.int32)
    gathered = FusedResult(None, bits.counts, flat, offsets)
    for o in OUTCOMES:
        for q in range(policies):
            assert gathered.rows(o, q).tolist() == bits.rows(o, q).tolist()


def test_a_plan_is_kept_for_the_same_policies_only(
    backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    """Regression: the plan was kept by the ids of the policies, which a new policy can
    take over once the old one is freed, and a run could read another run's plan."""
    fused = FusedBackend()
    frame = backend.frame(snapshot, requirements(compiled))
    first = fused.plan(frame, compiled[:5])
    assert fused.plan(frame, list(compiled[:5])) is first  # the same policies: kept
    again = [dataclasses.replace(cp) for cp in compiled[:5]]  # equal, not the same objects
    assert fused.plan(frame, again) is not first


@settings(max_examples=200, deadline=None)
@given(
    values=st.one_of(
        st.lists(st.integers(-(2**62), 2**62), max_size=60).map(
            lambda v: np.array(v, dtype=np.int64)
        ),
        st.lists(st.integers(-128, 127), max_size=60).map(lambda v: np.array(v, dtype=np.int8)),
        st.lists(st.integers(-5, 5), max_size=60).map(lambda v: np.array(v, dtype=np.int16)),
        st.lists(st.floats(width=64) | st.just(float("nan")), max_size=60).map(
            lambda v: np.array(v, dtype=np.float64)
        ),
    )
)
def test_sorted_distinct_is_numpy_unique(values: Any) -> None:
    got = sorted_distinct(values)
    assert got.dtype == values.dtype
    assert np.array_equal(got, np.unique(values), equal_nan=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(st.integers(-50, 50) | st.none(), min_size=1, max_size=200),
    thresholds=st.lists(
        st.tuples(st.sampled_from(["<", "<=", ">", ">=", "=", "<>"]), st.integers(-60, 60)),
        min_size=1,
        max_size=6,
    ),
    spread=st.sampled_from([1, 10**7, 10**15]),
)
def test_a_row_reads_its_bucket_as_its_own_value(
    data: list[int | None], thresholds: list[tuple[str, int]], spread: int
) -> None:
    """Rows of one numeric column in buckets (by the buckets' first values, whether the
    distinct values were marked or sorted): per row, every test's table at its bucket is
    the test's own code on the row's value."""
    raw = np.array([0 if v is None else v * spread for v in data], dtype=np.int64)
    known = np.array([v is not None for v in data])
    col = Column("num", raw, None if known.all() else known)
    frame = Frame(uscc=pa.nulls(len(data), pa.string()), columns={"x": col})
    leaves = [Leaf("x", exp.condition(f"x {op} {t * spread}")) for op, t in thresholds]
    rows, tables = bucket("x", col, leaves)
    for leaf, table in zip(leaves, tables, strict=True):
        assert np.array_equal(table[rows], leaf_codes(leaf, frame))
    # Buckets are runs of values in order: no two neighbours that the tests cannot tell
    # apart (NULL rows a bucket of their own, after them).
    valued = np.unique(rows[known])
    assert np.array_equal(valued, np.arange(len(valued)))
    codes = [tuple(int(t[b]) for t in tables) for b in valued]
    assert all(a != b for a, b in itertools.pairwise(codes))
