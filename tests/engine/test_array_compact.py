"""The array backend's narrow columns and NULL-free paths give what the general paths give.

* integers are held in the narrowest type that holds each value exactly, and widen
  before arithmetic (a sum, a product, a negation of int8 values is not wrapped);
  comparisons and sorted starts with a bound beyond the narrow type stay exact;
* where a column has no NULL, a criterion's codes and a policy's kept rows (with and
  without near misses) are those of the general three-valued path, which the
  conformance tests hold to DuckDB's: the same frame is read once with no NULL mask
  and once with a mask that is TRUE everywhere;
* codes kept over every row for narrowing without near misses (the relaxed rules not
  read) leave a later run's near misses as a fresh store gives them;
* an OR of ``has_tag`` tests of one list column, read as one membership array, gives
  the codes of the OR of each test, with NULL lists and empty lists;
* overflow checks read a narrow column's type where it settles them, its values
  otherwise, and fen bounded by a cap are those of the general rounding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlglot
from engine_factories import every_policy, frozen_snapshot, random_profiles

from huiqi.engine import CompiledPolicy
from huiqi.engine.array import values as V
from huiqi.engine.array.backend import NumpyBackend
from huiqi.engine.array.columns import Column, Frame, column_from_arrow, compact
from huiqi.engine.array.criteria import CriterionStore, codes_of, criterion_codes, key_of
from huiqi.engine.array.evaluate import Evaluator, round_half_away
from huiqi.engine.array.match import match_policy
from huiqi.engine.array.money import clamped_fen
from huiqi.engine.array.starts import tree_start
from huiqi.engine.array.values import Overflow, Unsupported, Val, add, mul
from huiqi.engine.duckdb.evaluate import requirements


def _tree(sql: str) -> Any:
    return sqlglot.parse_one(sql, read="duckdb")


def _frame(**columns: pa.Array) -> Frame:
    n = len(next(iter(columns.values())))
    uscc = pa.array([f"U{i:05d}" for i in range(n)])
    return Frame(uscc, {name: column_from_arrow(arr) for name, arr in columns.items()})


# ---------------------------------------------------------------- narrow integers
@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([1, -5, 100, -128, 127], np.int8),
        ([1, 128], np.int16),
        ([-32769, 0], np.int32),
        ([40_000, -(2**31)], np.int32),
        ([2**31], np.int64),
        ([-(2**63), 2**63 - 1], np.int64),
    ],
)
def test_integers_are_held_in_the_narrowest_type_that_holds_them(
    values: list[int], dtype: Any
) -> None:
    column = column_from_arrow(pa.array(values, pa.int64()))
    assert column.data.dtype == dtype
    assert column.data.tolist() == values


def test_decimals_dates_and_codes_are_narrowed_too() -> None:
    money = column_from_arrow(pa.array([Decimal("1234.50"), None], pa.decimal128(18, 2)))
    assert money.data.dtype == np.int32 and money.data[0] == 123450 and money.scale == 2
    big = column_from_arrow(pa.array([Decimal("30000000.00")], pa.decimal128(18, 2)))
    assert big.data.dtype == np.int64 and big.data[0] == 3_000_000_000
    days = column_from_arrow(pa.array([dt.date(2026, 12, 1), dt.date(1900, 1, 1)]))
    assert days.data.dtype == np.int16
    assert days.data.tolist() == [(dt.date(2026, 12, 1) - dt.date(1970, 1, 1)).days, -25567]
    # A code + 1 must fit (the per-value index counts NULL as code 0): 127 labels fit
    # int8 (codes up to 126), 128 do not.
    for labels, dtype in ((127, np.int8), (128, np.int16)):
        column = column_from_arrow(pa.array([f"v{i:03d}" for i in range(labels)] + [None]))
        assert column.kind == "cat" and column.data.dtype == dtype
        assert column.data[-1] == -1 and column.data.max() + 1 <= np.iinfo(dtype).max
    assert compact(np.array([], dtype=np.int64)).dtype == np.int64
    assert compact(np.array([1.5])).dtype == np.float64


def test_arithmetic_on_narrow_columns_widens_first() -> None:
    frame = _frame(a=pa.array([100, 127, -128], pa.int64()), b=pa.array([2, 3, 4], pa.int64()))
    assert frame.columns["a"].data.dtype == np.int8
    ev = Evaluator(frame)
    want = {
        "a + a": [200, 254, -256],
        "a - b": [98, 124, -132],
        "a * a": [10_000, 16_129, 16_384],
        "-a": [-100, -127, 128],
        "ABS(a)": [100, 127, 128],
        "a * 1.5": [1_500, 1_905, -1_920],
    }
    for sql, values in want.items():
        assert np.asarray(ev.ev(_tree(sql)).data).tolist() == values, sql
    rounded = ev.ev(_tree("ROUND(CAST(a AS DECIMAL(18, 2)) * 0.5, 0)"))
    assert np.asarray(rounded.data).tolist() == [50, 64, -64]  # half away from zero
    # Evaluated on some rows, as a policy's narrowing does.
    assert np.asarray(Evaluator(frame, np.array([2])).ev(_tree("a + a")).data).tolist() == [-256]


@pytest.mark.parametrize(
    ("sql", "holds"),
    [
        ("a >= 1000", [False, False, False]),
        ("a < 100000", [True, True, True]),
        ("a > -1000", [True, True, True]),
        ("a = 4294967296", [False, False, False]),
        ("a <> 4294967296", [True, True, True]),
        ("a >= 127", [False, True, False]),
        ("a BETWEEN -200 AND 100", [True, False, True]),
        ("a * 1000 >= 100000", [True, True, False]),
    ],
)
def test_comparisons_beyond_a_narrow_type_are_exact(sql: str, holds: list[bool]) -> None:
    frame = _frame(a=pa.array([100, 127, -128], pa.int64()))
    got = Evaluator(frame).boolean(_tree(sql))
    assert np.asarray(got.data).tolist() == holds
    start = tree_start(_tree(sql), frame)
    if start is not None:  # never fewer rows than hold
        assert set(np.flatnonzero(holds).tolist()) <= set(start.rows().tolist())


# ---------------------------------------------------------------- no NULL, no NULL work
@pytest.fixture(scope="module")
def compiled() -> list[CompiledPolicy]:
    return every_policy(60, seed=17)


@pytest.fixture(scope="module")
def frames(
    compiled: list[CompiledPolicy], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Frame, Frame, Frame]:
    """One frame read twice: with no NULL mask (every value taken as known: the NULL-free
    paths) and with a mask TRUE everywhere (the general paths, held to DuckDB's); and the
    frame itself (~15 % NULLs)."""
    snapshot = frozen_snapshot(
        tmp_path_factory.mktemp("snapshot"), random_profiles(800, seed=23), 43
    )
    frame = NumpyBackend().frame(snapshot, requirements(compiled))

    def copy(known: Any) -> Frame:
        cols: dict[str, Column] = {}
        for name, col in frame.columns.items():
            data = col.data
            if col.kind == "cat" and col.labels:  # -1 is a NULL's code: a value instead
                data = np.where(data < 0, 0, data).astype(data.dtype)
            cols[name] = dataclasses.replace(col, data=data, known=known, _index=None)
        return Frame(frame.uscc, cols, keys=frame.keys)

    return copy(None), copy(np.ones(frame.rows, dtype=bool)), frame


def test_without_nulls_criteria_give_the_codes_of_the_null_path(
    frames: tuple[Frame, Frame, Frame], compiled: list[CompiledPolicy]
) -> None:
    bare, marked, _ = frames
    distinct = {key_of(c): c for cp in compiled for c in cp.checked}
    some = np.arange(0, bare.rows, 3)
    fast = general_path = 0
    for crit in distinct.values():
        assert crit.tree is not None
        try:
            plain = Evaluator(bare, some).boolean(crit.tree)
        except Unsupported:
            continue
        fast += V.everywhere(plain.known)
        general = Evaluator(marked, some).boolean(crit.tree)
        general_path += not V.everywhere(general.known)
        assert codes_of(plain).tolist() == codes_of(general).tolist(), crit.id
        for rows in (None, some):
            assert (
                criterion_codes(crit, bare, rows).tolist()
                == criterion_codes(crit, marked, rows).tolist()
            ), crit.id
    assert fast > 50 and general_path > 50


@pytest.mark.parametrize("eager", [True, False])
def test_without_nulls_policies_keep_the_rows_of_the_null_path(
    frames: tuple[Frame, Frame, Frame], compiled: list[CompiledPolicy], eager: bool
) -> None:
    bare, marked, _ = frames
    stores = [CriterionStore(f, compiled, eager=eager) for f in (bare, marked)]
    for store in stores:
        for cp in compiled:
            for crit in cp.checked:
                store.prepare(crit)
    kept = 0
    for cp in compiled:
        for near_misses in (False, True):
            try:
                a = match_policy(cp, stores[0], bare, near_misses=near_misses)
            except Unsupported:
                break
            b = match_policy(cp, stores[1], marked, near_misses=near_misses)
            assert a.rid.tolist() == b.rid.tolist(), cp.policy.id
            assert a.status.tolist() == b.status.tolist(), cp.policy.id
            assert a.detail.tolist() == b.detail.tolist(), cp.policy.id
            kept += len(a.rid)
    assert kept > 0
    if eager:  # the shared criteria were read over every row, with and without unknowns
        assert stores[0].known and stores[0].full.keys() == stores[1].full.keys()
        assert stores[0].known >= stores[1].known


# ---------------------------------------------------------------- OR of tags
@pytest.mark.parametrize("with_nulls", [True, False])
def test_an_or_of_tags_is_the_or_of_each_tag(with_nulls: bool) -> None:
    lists = [["a"], None, [], ["b", "c"], ["c"], ["a", "b"], None, ["d"]]
    if not with_nulls:
        lists = [v if v is not None else ["z"] for v in lists]
    frame = _frame(tags=pa.array(lists, pa.list_(pa.string())), n=pa.array(range(8)))
    rows = np.array([0, 1, 3, 6, 7])
    for sql in (
        "ARRAY_CONTAINS(tags, 'a') OR ARRAY_CONTAINS(tags, 'c')",
        "(ARRAY_CONTAINS(tags, 'a') OR (ARRAY_CONTAINS(tags, 'b'))) OR ARRAY_CONTAINS(tags, 'x')",
        "ARRAY_CONTAINS(tags, 'a') OR n > 5",  # not all tags: the general OR
    ):
        tree = _tree(sql)
        for at in (None, rows):
            ev = Evaluator(frame, at)
            leaves = [ev.ev(leaf) for leaf in tree.flatten()]
            general = leaves[0]
            for leaf in leaves[1:]:
                general = V.or3(general, leaf)
            got = ev.boolean(tree)
            want = ev.full(general.data), ev.full(general.known)
            assert np.asarray(got.data).tolist() == np.asarray(want[0]).tolist(), sql
            assert ev.full(got.known).tolist() == np.asarray(want[1]).tolist(), sql


def test_overflow_is_read_from_values_where_a_narrow_type_does_not_settle_it() -> None:
    small = Val("num", np.array([3, -4], dtype=np.int32), np.bool_(True))
    large = Val("num", np.array([2**40, 5], dtype=np.int64), np.bool_(True))
    # int32 x int32 cannot leave 64 bits: no pass over the values is needed.
    assert mul(small, small).data.tolist() == [9, 16]
    # int32 x 2^40 could by its type; by its values it does not.
    assert mul(small, large).data.tolist() == [3 * 2**40, -20]
    assert add(small, large, 1).data.tolist() == [2**40 + 3, 1]
    assert mul(Val("num", np.int64(10**10), np.bool_(True)), small).data.tolist() == [
        3 * 10**10,
        -4 * 10**10,
    ]
    with pytest.raises(Overflow):
        mul(large, large)
    with pytest.raises(Overflow):
        half = Val("num", np.array([2**62, 1], dtype=np.int64), np.bool_(True))
        add(half, half, 1)
    with pytest.raises(Overflow):
        V.rescale(Val("num", np.array([2**60]), np.bool_(True), scale=0), 3)
    assert V.rescale(Val("num", np.array([-128], dtype=np.int8), np.bool_(True)), 2).tolist() == [
        -12800
    ]


@pytest.mark.parametrize("scale", [0, 1, 2, 3, 5])
@pytest.mark.parametrize(
    ("lo", "hi"), [(0, None), (0, 10**9), (-(10**6), 10**6), (5, 5), (0, 2**62)]
)
def test_fen_from_bounds_is_the_fen_of_the_general_rounding(
    scale: int, lo: int, hi: int | None
) -> None:
    rng = np.random.default_rng(scale)
    values = rng.integers(-(10**12), 10**12, 2000)
    values[:6] = [0, 5, 15, 25, -25, 10**12]  # halves at every scale above 2
    clamped = np.maximum(values, lo) if hi is None else np.clip(values, lo, hi)
    known = np.ones(len(values), dtype=bool)
    if scale <= 2:
        want = V.rescale(Val("num", clamped, known, scale=scale), 2)
    else:
        want = round_half_away(clamped, scale - 2)
    assert clamped_fen(clamped, scale, lo, hi, known).tolist() == np.asarray(want).tolist()


def test_codes_kept_for_narrowing_leave_near_misses_unchanged(
    frames: tuple[Frame, Frame, Frame], compiled: list[CompiledPolicy]
) -> None:
    """A store that first narrowed without near misses (codes kept without the relaxed
    rules read) then gives every policy the near misses a fresh store gives."""
    for frame in frames:
        used = CriterionStore(frame, compiled, eager=False)
        fresh = CriterionStore(frame, compiled, eager=False)
        for store in (used, fresh):
            for cp in compiled:
                for crit in cp.checked:
                    store.prepare(crit)
        for cp in compiled:
            try:
                match_policy(cp, used, frame, near_misses=False)
            except Unsupported:
                continue
        assert used.plain  # shared criteria read over every row, kept
        for cp in compiled:
            try:
                want = match_policy(cp, fresh, frame)
            except Unsupported:
                continue
            got = match_policy(cp, used, frame)
            assert got.rid.tolist() == want.rid.tolist(), cp.policy.id
            assert got.status.tolist() == want.status.tolist(), cp.policy.id
            assert got.detail.tolist() == want.detail.tolist(), cp.policy.id
