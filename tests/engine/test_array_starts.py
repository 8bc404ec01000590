"""Where the array backend starts a policy (``engine/array/starts``, ``ranges``): never
fewer rows than a scan keeps.

A start may hold more rows than pass its criterion (bounds rounded outwards), never
fewer: every row a scan of the criterion's codes keeps (holds or unknown; with near
misses, anything but a failure that is never a near miss) is in it, for every
criterion of the library, the generated policies and the engine's test policies
over profiles with ~15 % NULLs, and for generated thresholds over generated columns.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from engine_factories import compile_spec, every_policy, frozen_snapshot, random_profiles
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from huiqi.engine import CompiledPolicy
from huiqi.engine.array.backend import NumpyBackend
from huiqi.engine.array.columns import Frame, column_from_arrow
from huiqi.engine.array.criteria import HARD, HOLDS, UNKNOWN, codes_of, criterion_codes
from huiqi.engine.array.evaluate import Evaluator
from huiqi.engine.array.index import value_codes
from huiqi.engine.array.ranges import SORT_KEYS, policy_ranges, runs_of
from huiqi.engine.array.starts import criterion_start, tree_start
from huiqi.engine.duckdb.evaluate import requirements


@pytest.fixture(scope="module")
def compiled() -> list[CompiledPolicy]:
    return every_policy(80, seed=5)


@pytest.fixture(scope="module")
def frame(compiled: list[CompiledPolicy], tmp_path_factory: pytest.TempPathFactory) -> Frame:
    snapshot = frozen_snapshot(
        tmp_path_factory.mktemp("snapshot"), random_profiles(1200, seed=3), 42
    )
    return NumpyBackend().frame(snapshot, requirements(compiled))


def test_a_start_holds_every_row_a_scan_keeps(frame: Frame, compiled: list[CompiledPolicy]) -> None:
    started, smaller, exact = 0, 0, 0
    for cp in compiled:
        for crit in cp.checked:
            codes = criterion_codes(crit, frame, None)
            for near_misses in (False, True):
                start = criterion_start(crit, frame, near_misses=near_misses)
                if start is None:
                    continue
                started += 1
                rows = start.rows()
                assert (np.diff(rows) > 0).all() and start.count >= len(rows), crit.id
                kept = (codes != HARD) if near_misses else (codes == HOLDS) | (codes == UNKNOWN)
                missing = np.setdiff1d(np.flatnonzero(kept), rows)
                assert not len(missing), (cp.policy.id, crit.id, near_misses)
                if start.holds_all:  # then it is not read again: it must hold on each row
                    assert (codes[rows] == HOLDS).all(), (cp.policy.id, crit.id)
                    exact += 1
                smaller += len(rows) < frame.rows
            if crit.nearness == "always":  # failing it is a near miss: no row can be left out
                assert criterion_start(crit, frame, near_misses=True) is None
    assert started >= 100 and smaller >= 50  # the starts leave rows out: they mean something
    assert exact >= 10


OPS = st.sampled_from([exp.GTE, exp.GT, exp.LTE, exp.LT, exp.EQ])


def _scan_keeps(tree: exp.Expression, frame: Frame) -> np.ndarray:
    codes = codes_of(Evaluator(frame).boolean(tree))
    return np.flatnonzero((codes == HOLDS) | (codes == UNKNOWN))


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(
    values=st.lists(
        st.none() | st.decimals(min_value=-(10**6), max_value=10**6, places=2), min_size=1
    ),
    op=OPS,
    bound=st.decimals(min_value=-(10**7), max_value=10**7, places=3),
    flipped=st.booleans(),
)
def test_a_threshold_start_holds_every_row_a_scan_keeps(
    values: list[Decimal | None], op: type[exp.Expression], bound: Decimal, flipped: bool
) -> None:
    frame = Frame(pa.array([str(i) for i in range(len(values))]))
    frame.columns["x"] = column_from_arrow(pa.array(values, pa.decimal128(18, 2)))
    column, literal = exp.column("x", quoted=True), exp.Literal.number(abs(bound))
    number: exp.Expression = exp.Neg(this=literal) if bound < 0 else literal
    flips = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT, exp.EQ: exp.EQ}
    tree = (
        flips[op](this=number, expression=column) if flipped else op(this=column, expression=number)
    )
    start = tree_start(tree, frame)
    assert start is not None
    assert not len(np.setdiff1d(_scan_keeps(tree, frame), start.rows()))
    if start.holds_all:  # no NULL: the range is exactly the rows where it holds
        codes = codes_of(Evaluator(frame).boolean(tree))
        assert np.flatnonzero(codes == HOLDS).tolist() == start.rows().tolist()


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(
    days=st.lists(st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)), min_size=1),
    low=st.dates(dt.date(1989, 1, 1), dt.date(2031, 1, 1)),
    high=st.dates(dt.date(1989, 1, 1), dt.date(2031, 1, 1)),
)
def test_a_date_range_start_holds_every_row_a_scan_keeps(
    days: list[dt.date | None], low: dt.date, high: dt.date
) -> None:
    frame = Frame(pa.array([str(i) for i in range(len(days))]))
    frame.columns["d"] = column_from_arrow(pa.array(days, pa.date32()))

    def day(d: dt.date) -> exp.Expression:
        return exp.Cast(this=exp.Literal.string(d.isoformat()), to=exp.DataType.build("DATE"))

    column = exp.column("d", quoted=True)
    for tree in (
        exp.Between(this=column, low=day(low), high=day(high)),
        exp.LTE(this=column, expression=day(high)),
        exp.And(
            this=exp.GTE(this=column, expression=day(low)),
            expression=exp.LT(this=column, expression=day(high)),
        ),
    ):
        start = tree_start(tree, frame)
        assert start is not None
        assert not len(np.setdiff1d(_scan_keeps(tree, frame), start.rows())), tree.sql()


def test_ranges_hold_every_row_the_key_tests_keep(
    frame: Frame, compiled: list[CompiledPolicy]
) -> None:
    """The held rows are sorted by district and section: a policy naming some reads runs."""
    runs = runs_of(frame)
    assert runs is not None and [k.name for k in frame.keys] == list(SORT_KEYS)
    ranged = 0
    for cp in compiled:
        for near_misses in (False, True):
            found = policy_ranges(cp, frame, near_misses=near_misses)
            if found is None:
                continue
            ranged += found.count < frame.rows
            rows = found.rows()
            assert len(rows) == found.count and (np.diff(rows) > 0).all()
            keep = np.ones(frame.rows, dtype=bool)
            for i, crit in enumerate(cp.checked):
                assert crit.tree is not None
                tested = value_codes(crit.tree, frame)
                if tested is None or tested[0] not in SORT_KEYS:
                    continue
                if near_misses and crit.nearness == "always":
                    continue
                codes = criterion_codes(crit, frame, None)
                keep &= codes != HARD if near_misses else (codes == HOLDS) | (codes == UNKNOWN)
                if i in found.implied:
                    assert (codes[rows] == HOLDS).all(), (cp.policy.id, crit.id)
            assert not len(np.setdiff1d(np.flatnonzero(keep), rows)), cp.policy.id
            some = np.flatnonzero(np.arange(frame.rows) % 3 == 0)
            assert found.within(some).tolist() == np.intersect1d(some, rows).tolist()
    assert ranged >= 5


@settings(max_examples=80, derandomize=True, database=None, deadline=None)
@given(
    texts=st.lists(st.none() | st.text("019aé\x00", max_size=4), min_size=1),
    low=st.text("019aé\x00", max_size=3),
    high=st.text("019aé", max_size=3),
    ops=st.tuples(st.sampled_from([exp.GT, exp.GTE]), st.sampled_from([exp.LT, exp.LTE])),
)
def test_a_text_range_start_is_the_rows_a_scan_keeps(
    texts: list[str | None], low: str, high: str, ops: tuple[type[exp.Expression], ...]
) -> None:
    frame = Frame(pa.array([str(i) for i in range(len(texts))]))
    frame.columns["t"] = column_from_arrow(pa.array(texts, pa.string()))
    column = exp.column("t", quoted=True)
    above = ops[0](this=column, expression=exp.Literal.string(low))
    below = ops[1](this=column.copy(), expression=exp.Literal.string(high))
    for tree in (above, below, exp.And(this=above, expression=below)):
        start = tree_start(tree, frame)
        assert start is not None
        assert start.rows().tolist() == _scan_keeps(tree, frame).tolist(), tree.sql()


def test_a_policy_naming_values_no_row_holds_matches_nothing(tmp_path: Path) -> None:
    """Regression: a policy whose district is absent from the population (a small data
    directory) made ``Ranges.rows`` concatenate nothing, and ``huiqi match`` failed."""
    profiles = random_profiles(50, seed=9)
    for p in profiles:
        p.static["district_code"] = "310115"
    cp = compile_spec("elsewhere", {"criteria": [("d", "district_code = '310104'")]})
    backend = NumpyBackend()
    snapshot = frozen_snapshot(tmp_path, profiles, 7)
    frame = backend.frame(snapshot, requirements([cp]))
    found = policy_ranges(cp, frame, near_misses=False)
    assert found is not None and found.count == 0 and len(found.rows()) == 0
    (tmp_path / "run").mkdir()
    run = backend.match(snapshot, [cp], run_id="r", out_dir=tmp_path / "run")
    (summary,) = run.policies
    assert (summary.eligible, summary.needs_data) == (0, 0)
