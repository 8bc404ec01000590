"""The array backend ('numpy'): the same rows as DuckDB, and the reference evaluator's meaning.

* ``match`` over one snapshot (random enterprises with every field type and ~15 % NULLs)
  writes a ``matches.parquet`` equal row for row, type for type, to the DuckDB
  backend's, for the library, generated policies (``synth``), the oracle's policies and
  hypothesis-generated rules; summaries and top near misses are equal too;
* ``evaluate`` agrees with the pure-Python reference and with DuckDB on every
  criterion value, status and amount, including amounts on rounding boundaries;
* a construct the array evaluator has no rule for goes to DuckDB, and the run says so;
* columns are loaded once per snapshot and each distinct criterion evaluated once;
* the calendar and decimal arithmetic under it agree with Python's;
* ``cupy`` is refused, never faked, without CuPy and a GPU.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from engine_factories import (
    POLICIES,
    compile_spec,
    every_policy,
    frozen_snapshot,
    policy_yaml,
    random_profiles,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from test_fuzz_rules import BOOLEAN, NUMERIC

from huiqi.engine import CompiledPolicy, Evaluation, compile_policy, get_backend
from huiqi.engine.array.backend import NumpyBackend
from huiqi.engine.array.columns import column_from_arrow
from huiqi.engine.array.criteria import CriterionStore, codes_of, key_of
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.index import rows_and_codes, value_test
from huiqi.engine.array.match import match_policy
from huiqi.engine.array.values import Overflow, Val, add_months, civil, days_from_civil, mul
from huiqi.engine.compile.lower import add_interval
from huiqi.engine.duckdb.evaluate import requirements
from huiqi.engine.profile import RawProfile
from huiqi.engine.snapshot import Snapshot
from huiqi.errors import ConfigError, PolicyError
from huiqi.policies.loader import load_policy_text
from huiqi.policies.synth import synth_policies

N_PROFILES = 1500


def _policies() -> list[CompiledPolicy]:
    return every_policy(80, seed=11)


@pytest.fixture(scope="module")
def profiles() -> list[RawProfile]:
    return random_profiles(N_PROFILES, seed=7)


@pytest.fixture(scope="module")
def compiled() -> list[CompiledPolicy]:
    return _policies()


@pytest.fixture(scope="module")
def snapshot(profiles: list[RawProfile], tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The profiles frozen as a snapshot's Parquet files, as the profile store writes them."""
    return frozen_snapshot(tmp_path_factory.mktemp("snapshot"), profiles, 41)


@pytest.fixture(scope="module")
def numpy_backend() -> NumpyBackend:
    backend = get_backend("numpy")
    assert isinstance(backend, NumpyBackend)
    return backend


def _written(out: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    path = str(out / "matches.parquet")
    rows = duckdb.sql("SELECT * FROM read_parquet(?) ORDER BY ALL", params=[path]).fetchall()
    schema = duckdb.sql("DESCRIBE SELECT * FROM read_parquet(?)", params=[path]).fetchall()
    return rows, schema


def _match_both(
    numpy_backend: NumpyBackend, snapshot: Snapshot, policies: list[CompiledPolicy], out: Path
) -> dict[str, Any]:
    runs = {}
    for name, backend in (("duckdb", get_backend("duckdb")), ("numpy", numpy_backend)):
        (out / name).mkdir()
        run = backend.match(snapshot, policies, run_id=name, out_dir=out / name)
        runs[name] = (run, *_written(out / name))
    return runs


def _same_runs(runs: dict[str, Any]) -> None:
    (duck, duck_rows, duck_schema), (arr, arr_rows, arr_schema) = runs["duckdb"], runs["numpy"]
    assert arr_schema == duck_schema
    assert arr_rows == duck_rows
    for a, d in zip(arr.policies, duck.policies, strict=True):
        assert dataclasses.replace(a, seconds=0) == dataclasses.replace(d, seconds=0)
    assert (arr.enterprises, arr.enterprises_with_match, arr.near_misses) == (
        duck.enterprises,
        duck.enterprises_with_match,
        duck.near_misses,
    )


def test_match_writes_the_rows_duckdb_writes(
    numpy_backend: NumpyBackend,
    snapshot: Snapshot,
    compiled: list[CompiledPolicy],
    tmp_path: Path,
) -> None:
    runs = _match_both(numpy_backend, snapshot, compiled, tmp_path)
    _same_runs(runs)
    run, rows, _ = runs["numpy"]
    assert run.fallbacks == []
    statuses = {r[4] for r in rows}
    assert {"eligible", "needs_data"} <= statuses  # the comparison means something
    assert sum(p.near_miss for p in run.policies) > 0  # counted, though rows are kept for few
    apply = {cp.policy.id for cp in compiled if cp.policy.delivery == "apply"}
    assert {r[1] for r in rows if r[4] == "near_miss"} <= apply
    assert sum(1 for r in rows if r[8] is not None) > 0  # needs-data rows name criteria


def _by_key(rows: list[Evaluation]) -> dict[tuple[str, str], Evaluation]:
    return {(r.policy_id, r.uscc): r for r in rows}


def _meaning(e: Evaluation) -> tuple[Any, ...]:
    return (e.status, e.amount_fen, e.values, e.failed, e.unknown)


def test_evaluate_agrees_with_the_reference_and_duckdb(
    numpy_backend: NumpyBackend, profiles: list[RawProfile]
) -> None:
    some = profiles[:400]
    policies = [compile_spec(pid, spec) for pid, spec in POLICIES.items()]
    policies += [compile_policy(p) for p in synth_policies(30, seed=3)]
    arr = _by_key(numpy_backend.evaluate(some, policies))
    ref = _by_key(get_backend("python").evaluate(some, policies))
    duck = _by_key(get_backend("duckdb").evaluate(some, policies))
    assert arr.keys() == ref.keys() == duck.keys()
    assert len(arr) == len(some) * len(policies)
    for key, e in arr.items():
        assert _meaning(e) == _meaning(ref[key]), key
        assert (e.amount_yuan, e.error) == (duck[key].amount_yuan, duck[key].error), key


def test_evaluate_on_a_snapshot_for_some_enterprises(
    numpy_backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    wanted = [p.uscc for p in random_profiles(5, seed=7)]
    arr = _by_key(numpy_backend.evaluate(snapshot, compiled, usccs=wanted))
    duck = _by_key(get_backend("duckdb").evaluate(snapshot, compiled, usccs=wanted))
    assert arr.keys() == duck.keys() and {u for _, u in arr} == set(wanted)
    assert all(_meaning(e) == _meaning(duck[k]) for k, e in arr.items())


MONEY_EDGES = st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("100000000"), places=2
) | st.sampled_from([Decimal("0.05"), Decimal("0.15"), Decimal("1.05"), Decimal("400000.05")])


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rate=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("3"), places=3),
    cap=st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    floor=st.none() | st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2),
    revenues=st.lists(st.none() | MONEY_EDGES, min_size=1, max_size=8),
)
def test_amounts_on_rounding_boundaries_are_the_same_fen(
    numpy_backend: NumpyBackend,
    rate: Decimal,
    cap: Decimal | None,
    floor: Decimal | None,
    revenues: list[Decimal | None],
) -> None:
    assume(cap is None or floor is None or floor <= cap)
    text = policy_yaml(
        [("c", "revenue >= 0 OR revenue IS NULL")],
        formula=f"{rate} * revenue + 0.005",
        cap=None if cap is None else str(cap),
        floor=None if floor is None else str(floor),
    )
    cp = compile_policy(load_policy_text(text, "money.yaml"))
    profs = [
        RawProfile(f"91310115MA{i:07d}X", years={2024: {"revenue": r}})
        for i, r in enumerate(revenues)
    ]
    arr = _by_key(numpy_backend.evaluate(profs, [cp]))
    ref = _by_key(get_backend("python").evaluate(profs, [cp]))
    duck = _by_key(get_backend("duckdb").evaluate(profs, [cp]))
    for key, e in arr.items():
        assert _meaning(e) == _meaning(ref[key]) == _meaning(duck[key]), (key, e, duck[key])


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(exprs=st.lists(BOOLEAN, min_size=1, max_size=5), formula=NUMERIC)
def test_generated_rules_match_the_same_rows(
    numpy_backend: NumpyBackend,
    snapshot: Snapshot,
    tmp_path_factory: pytest.TempPathFactory,
    exprs: list[str],
    formula: str,
) -> None:
    crits = [(f"c{i}", e) for i, e in enumerate(exprs)]
    try:
        cp = compile_policy(load_policy_text(policy_yaml(crits, formula=formula), "gen.yaml"))
    except PolicyError:
        return  # refused at compile time: the fuzz tests check how
    out = tmp_path_factory.mktemp("gen")
    try:
        duck = get_backend("duckdb").match(snapshot, [cp], run_id="d", out_dir=out)
    except duckdb.Error:
        return  # DuckDB cannot run it either: the edge-frame checks refuse such rules
    (out / "a").mkdir()
    arr = numpy_backend.match(snapshot, [cp], run_id="a", out_dir=out / "a")
    assert _written(out / "a") == _written(out)
    assert [dataclasses.replace(p, seconds=0) for p in arr.policies] == [
        dataclasses.replace(p, seconds=0) for p in duck.policies
    ]


def _with_length_criterion() -> CompiledPolicy:
    """A policy whose criterion uses LENGTH, which only DuckDB evaluates."""
    text = policy_yaml([("named", "name <> 'x'"), ("big", "revenue > 1000")], formula="100")
    cp = compile_policy(load_policy_text(text, "length.yaml"))
    first = cp.criteria[0]
    tree = exp.GT(
        this=exp.Length(this=exp.column("name", quoted=True)), expression=exp.Literal.number(4)
    )
    return dataclasses.replace(cp, criteria=(dataclasses.replace(first, tree=tree), cp.criteria[1]))


def test_a_construct_without_an_array_rule_is_matched_by_duckdb(
    numpy_backend: NumpyBackend,
    snapshot: Snapshot,
    compiled: list[CompiledPolicy],
    tmp_path: Path,
) -> None:
    odd = _with_length_criterion()
    runs = _match_both(numpy_backend, snapshot, [compiled[0], odd, compiled[1]], tmp_path)
    _same_runs(runs)
    assert runs["numpy"][0].fallbacks == [
        {"policy_id": "p", "reason": "the array evaluator has no rule for Length"}
    ]
    assert runs["numpy"][0].to_json()["fallbacks"] == runs["numpy"][0].fallbacks
    some = random_profiles(30, seed=7)
    arr = _by_key(numpy_backend.evaluate(some, [odd]))
    assert arr and arr == _by_key(get_backend("duckdb").evaluate(some, [odd]))


def test_columns_are_loaded_once_per_snapshot_and_grow_on_demand(
    snapshot: Snapshot, compiled: list[CompiledPolicy], tmp_path: Path
) -> None:
    backend = NumpyBackend()
    first, rest = compiled[:1], compiled[1:]
    frame = backend.frame(snapshot, requirements(first))
    before = set(frame.columns)
    assert before == {c.name for c in requirements(first)}
    backend.match(snapshot, compiled, run_id="r", out_dir=tmp_path)
    assert backend.frame(snapshot, requirements(rest)) is frame
    assert set(frame.columns) == {c.name for c in requirements(compiled)} > before
    backend.forget(snapshot.id)
    assert backend.frame(snapshot, requirements(first)) is not frame


def test_each_distinct_criterion_is_evaluated_once(
    numpy_backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    twins = [dataclasses.replace(cp, policy=cp.policy) for cp in compiled[:20]] * 2
    frame = numpy_backend.frame(snapshot, requirements(twins))
    store = CriterionStore(frame, twins)
    for cp in twins:
        for crit in cp.checked:
            store.prepare(crit)
    for cp in twins:
        match_policy(cp, store, frame)
    assert store.evaluated == len({key_of(c) for cp in twins for c in cp.checked})


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_cupy_is_refused_without_cupy_and_a_gpu() -> None:
    with pytest.raises(ConfigError, match="the cupy backend needs CuPy and a CUDA GPU"):
        get_backend("cupy")


@settings(max_examples=200, derandomize=True, database=None)
@given(day=st.dates(dt.date(1, 3, 1), dt.date(9999, 1, 1)), months=st.integers(-1200, 1200))
def test_calendar_arithmetic_agrees_with_python(day: dt.date, months: int) -> None:
    days = (day - dt.date(1970, 1, 1)).days
    y, m, d = civil(np.array([days]))
    assert (int(y[0]), int(m[0]), int(d[0])) == (day.year, day.month, day.day)
    assert int(days_from_civil(y, m, d)[0]) == days
    try:
        want = add_interval(day, months, "MONTH")
    except ValueError:  # beyond year 9999 in Python
        return
    assert int(add_months(np.array([days]), months)[0]) == (want - dt.date(1970, 1, 1)).days


def test_products_beyond_64_bits_are_refused_not_wrapped() -> None:
    big = Val("num", np.array([10**10, 5]), np.array([True, True]), scale=2)
    assert mul(big, Val("num", np.int64(10**8), np.bool_(True))).data.tolist() == [
        10**18,
        5 * 10**8,
    ]
    with pytest.raises(Overflow):
        mul(big, big)


def test_decimals_beyond_64_bits_mark_their_column_wide() -> None:
    values = [Decimal("12.34"), None, Decimal("100000000000000000000.00")]
    column = column_from_arrow(pa.array(values, pa.decimal128(38, 2)))
    assert column.wide and column.scale == 2
    narrow = column_from_arrow(pa.array(values[:2], pa.decimal128(18, 2)))
    assert not narrow.wide and narrow.data[0] == 1234 and narrow.known.tolist() == [True, False]


def test_without_near_misses_the_other_rows_are_the_same(
    numpy_backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    frame = numpy_backend.frame(snapshot, requirements(compiled))
    store = CriterionStore(frame, compiled)
    lazy = CriterionStore(frame, compiled, eager=False)
    for cp in compiled:
        for crit in cp.checked:
            lazy.prepare(crit)
    assert not lazy.full and lazy.holds  # estimated on a sample, nothing over every row yet
    near = 0
    for cp in compiled:
        full = match_policy(cp, store, frame)
        others = full.status != 1
        near += int(np.count_nonzero(~others))
        for plain in (
            match_policy(cp, store, frame, near_misses=False),
            match_policy(cp, lazy, frame, near_misses=False),
        ):
            assert plain.rid.tolist() == full.rid[others].tolist(), cp.policy.id
            assert plain.status.tolist() == full.status[others].tolist()
            assert plain.detail.tolist() == full.detail[others].tolist()
        assert match_policy(cp, lazy, frame).rid.tolist() == full.rid.tolist()
    assert near > 0 and lazy.full


def test_a_per_value_index_gives_the_codes_a_scan_gives(
    numpy_backend: NumpyBackend, snapshot: Snapshot, compiled: list[CompiledPolicy]
) -> None:
    frame = numpy_backend.frame(snapshot, requirements(compiled))
    tested = 0
    for cp in compiled:
        for crit in cp.checked:
            assert crit.tree is not None
            test = value_test(crit.tree, frame)
            if test is None:
                continue
            tested += 1
            rows, codes = rows_and_codes(test, frame)
            scan = codes_of(Evaluator(frame).boolean(crit.tree))
            assert rows.tolist() == np.flatnonzero(scan != 1).tolist(), crit.id
            assert codes.tolist() == scan[rows].tolist(), crit.id
    assert tested >= 5
