"""Issue 9: one value must never stop the run. A row the database cannot evaluate is an
'error' row with the database's reason, counted and reported; every other row is matched.

The compiled arithmetic is bounded by the dictionary's ranges, so what fails at run time
is data outside them: here a revenue of 9999999999999999.99 yuan (the range ends at
10^13), as a snapshot imported under a wider range would hold.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine.backend import get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.compile.library import compile_library
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.isolate import failing_rows
from huiqi.engine.duckdb.matcher import match_frame
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile, profile_from_case
from huiqi.errors import PolicyError

OUTSIDE = "9999999999999999.99"  # above revenue's range: only an old snapshot holds it

RATE = compile_yaml(
    policy_yaml(
        [("c", "offshore_outsourcing_income >= 0.35 * revenue")],
        formula="0.02 * revenue * 3",
        cap="2000000",
    )
)
PLAIN = compile_yaml(policy_yaml([("c", "revenue > 100")], policy_id="plain", formula="100"))


def _profiles(revenues: list[str]) -> list[RawProfile]:
    return [
        # Outside the ranges: the data an older snapshot may hold.
        profile_from_case(
            {"revenue": r, "offshore_outsourcing_income": r},
            data_year=2024,
            seq=i,
            check_ranges=False,
        )
        for i, r in enumerate(revenues, start=1)
    ]


def _matches(
    profiles: list[RawProfile], policies: list[CompiledPolicy], parts_dir: Path | None
) -> tuple[list[Any], dict[tuple[str, str], tuple[Any, ...]]]:
    con = duckdb.connect()
    load_profiles_into(con, profiles)
    required = set().union(*(cp.requirements for cp in policies))
    build_frame(con, required)
    summaries = match_frame(con, policies, snapshot_id=1, parts_dir=parts_dir)
    rows = con.execute(
        "SELECT uscc, policy_id, status, amount_fen, failed_criterion, error FROM matches"
    ).fetchall()
    return summaries, {(r[0], r[1]): r[2:] for r in rows}


REVENUES = ["1000", OUTSIDE, "50", "2000", "0", OUTSIDE, "7000", "120"]


@pytest.mark.parametrize("parts", [False, True], ids=["rows in memory", "Parquet parts"])
def test_rows_that_fail_are_error_rows_and_the_others_are_matched(
    tmp_path: Path, parts: bool
) -> None:
    """Regression: one such row stopped `huiqi match` for the whole population with
    OutOfRangeException (Overflow in multiplication of DECIMAL(18))."""
    profiles = _profiles(REVENUES)
    bad = {profiles[1].uscc, profiles[5].uscc}
    # PLAIN before and after RATE: the policy inserted in the same transaction before the
    # failure is kept (the failed statement aborts that transaction).
    policies = [PLAIN, RATE, dataclasses.replace(PLAIN, policy=PLAIN.policy)]
    summaries, got = _matches(profiles, policies, tmp_path / "parts" if parts else None)
    good = [p for p in profiles if p.uscc not in bad]
    _, expected = _matches(good, [PLAIN, RATE], None)

    rate = summaries[1]
    assert rate.error == 2
    (reason,) = rate.error_reasons
    assert reason.startswith("2 rows: evaluating this enterprise failed (Out of Range Error")
    assert "dictionary range" in reason and "You might want" not in reason
    for uscc in bad:
        status, amount, _, error = got[(uscc, "p")]
        assert (status, amount) == ("error", None)
        assert "Overflow" in error
    # Every other row is matched exactly as without the bad rows.
    assert {k: v for k, v in got.items() if k[0] not in bad} == expected
    assert summaries[0].error == summaries[2].error == 0
    assert summaries[0].eligible == summaries[2].eligible == 6  # the bad rows too: > 100


def test_a_trace_of_a_row_that_fails_is_an_error_with_the_reason() -> None:
    profiles = _profiles(REVENUES)
    traces = get_backend("duckdb").trace(profiles, [RATE])
    assert [t.uscc for t in traces] == sorted(p.uscc for p in profiles)
    errors = {t.uscc: t for t in traces if t.status == "error"}
    assert set(errors) == {profiles[1].uscc, profiles[5].uscc}
    trace = errors[profiles[1].uscc]
    assert trace.error is not None and "Overflow in multiplication" in trace.error
    assert trace.amount_fen is None
    assert trace.to_json()["criteria"][0]["values"]["revenue__2024"] == OUTSIDE
    assert {t.status for t in traces} - {"error"} == {"eligible"}
    eligible_only = get_backend("duckdb").trace(profiles, [RATE], statuses=("eligible",))
    assert eligible_only and all(t.status == "eligible" for t in eligible_only)


def test_a_statement_that_fails_on_every_row_is_raised_not_isolated() -> None:
    """A failure on every row is not the data's (here a constant out of range, which
    DuckDB leaves to run time): it stops as before, as an error on every row would hide a
    broken policy."""
    broken_tree = sqlglot.parse_one("CAST(3000000000 AS INTEGER) > 0", read="duckdb")
    crit = dataclasses.replace(PLAIN.criteria[0], tree=broken_tree)
    broken = dataclasses.replace(PLAIN, criteria=(crit,))
    con = duckdb.connect()
    load_profiles_into(con, _profiles(["1", "2"]))
    build_frame(con, PLAIN.requirements)
    with pytest.raises(duckdb.ConversionException):
        match_frame(con, [broken], snapshot_id=1)


class Boom(duckdb.OutOfRangeException):
    pass


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 300),
    picks=st.lists(st.integers(0, 299), max_size=12),
    limit=st.sampled_from([1, 3, 1000]),
)
def test_halving_finds_exactly_the_failing_rows_and_runs_every_other_row_once(
    rows: int, picks: list[int], limit: int
) -> None:
    bad = {p % rows for p in picks} or {rows - 1}
    if rows > 1 and len(bad) == rows:
        bad.discard(0)
    done: list[int] = []

    def run(lo: int, hi: int) -> None:
        if any(lo <= b <= hi for b in bad):
            raise Boom(f"row {min(b for b in bad if lo <= b <= hi)}")
        done.extend(range(lo, hi + 1))

    try:
        failed = failing_rows(run, rows, Boom("whole"), limit=limit)
    except Boom as exc:  # nothing could be run: not the data
        assert str(exc) == "whole" and rows > 1 and not done
        return
    covered = [r for f in failed for r in range(f.first, f.last + 1)]
    assert sorted(done + covered) == list(range(rows))  # each row once: run or failed
    assert bad <= set(covered)
    singles = [f for f in failed if f.count == 1]
    assert all(f.first in bad for f in singles)
    if len(bad) <= limit:
        assert sorted(f.first for f in failed) == sorted(bad) and len(singles) == len(failed)
    assert all(f.reason.startswith("row ") or f.reason == "whole" for f in failed)


def test_the_shipped_library_matches_everyone_else_when_tax_rows_are_out_of_range() -> None:
    """Issue 9's case: a tax row whose money fields are all 9999999999999999.99 (now an
    import error; an older snapshot may still hold it) stopped `huiqi match` of the shipped
    library for the whole population. Now those enterprises' failing rows are errors and
    every other row is what it is without them."""
    from engine_factories import YEARS, load_fast, random_profiles

    from huiqi.policies.loader import load_library
    from huiqi.profiles.dictionary import load_dictionary

    lib = compile_library(load_library())
    profiles = random_profiles(60, seed=9)
    money = [f.name for f in load_dictionary().yearly_fields if f.type == "money"]
    bad = profiles[:10]
    for profile in bad:
        for year in YEARS:
            profile.years.setdefault(year, {}).update({n: Decimal(OUTSIDE) for n in money})

    def run(population: list[RawProfile]) -> tuple[Any, dict[tuple[str, str], Any]]:
        con = duckdb.connect()
        load_fast(con, population)
        build_frame(con, set().union(*(cp.requirements for cp in lib.compiled)))
        summaries = match_frame(con, lib.compiled, snapshot_id=1)
        rows = con.execute("SELECT uscc, policy_id, status, amount_fen FROM matches").fetchall()
        return summaries, {(r[0], r[1]): r[2:] for r in rows}

    summaries, got = run(profiles)
    _, expected = run(profiles[10:])
    errors = {k for k, v in got.items() if v[0] == "error"}
    assert errors and {uscc for uscc, _ in errors} <= {p.uscc for p in bad}
    assert sum(s.error for s in summaries) == len(errors)
    assert {k: v for k, v in got.items() if k[0] not in {p.uscc for p in bad}} == expected


def test_a_policy_test_case_outside_a_range_is_refused_not_a_crash() -> None:
    """Regression: with rules bounded by the ranges, a test case holding a revenue of
    9999999999999999.99 made `huiqi policy test` stop with DuckDB's OutOfRangeException."""
    from huiqi.engine.casetest import run_policy_tests
    from huiqi.policies.loader import load_policy_text

    text = policy_yaml([("c", "revenue > 0")], formula="0.02 * revenue * 3", cap="5000000")
    text += '\ntests:\n  - name: huge\n    profile: {revenue: "9999999999999999.99"}\n'
    text += '    expect: {status: eligible, amount: "5000000.00"}\n'
    cp = compile_yaml(text)
    assert load_policy_text(text, "t.yaml").policy.tests
    (result,) = run_policy_tests([cp])
    assert not result.ok
    assert (
        "profile field 'revenue' 2024: 9999999999999999.99 is outside the field's plausible"
        " range 0..10000000000000 yuan" in result.message
    )


@settings(max_examples=100, deadline=None)
@given(value=st.integers(-(10**7), 10**7))
def test_a_test_case_count_is_accepted_exactly_inside_its_range(value: int) -> None:
    inside = 0 <= value <= 5_000_000  # employees: range [0, 5000000]
    try:
        prof = profile_from_case({"employees": value}, data_year=2024)
    except PolicyError as exc:
        assert not inside and "outside the field's plausible range 0..5000000" in exc.message
    else:
        assert inside and prof.years[2024]["employees"] == value


@pytest.mark.parametrize("delivery", ["auto", "apply"])
@pytest.mark.parametrize("parts", [False, True], ids=["rows in memory", "Parquet parts"])
def test_a_policy_isolated_range_by_range_still_counts_and_keeps_near_misses_by_its_mode(
    tmp_path: Path, parts: bool, delivery: str
) -> None:
    """``_split_isolated``: after a failing statement is run again range by range, the
    policy's near misses are counted per criterion, and its near-miss rows are kept only
    where delivery uses them (申报), as for a policy that never failed."""
    policy = compile_yaml(
        policy_yaml(
            [("big", "revenue >= 1000"), ("c", "offshore_outsourcing_income >= 0.35 * revenue")],
            formula="0.02 * revenue * 3",
            cap="2000000",
            delivery=delivery,
        )
    )
    profiles = _profiles(["1000", OUTSIDE, "900", "950", "50", OUTSIDE, "2000"])
    (summary,), got = _matches(profiles, [policy], tmp_path / "parts" if parts else None)
    assert summary.error == 2
    assert summary.near_miss_by_criterion == {"big": 2}  # 900 and 950: within 20 % of 1000
    statuses = sorted(r[0] for r in got.values())
    near = ["near_miss", "near_miss"] if delivery == "apply" else []
    assert statuses == sorted(["eligible", "eligible", "error", "error", *near])
    if parts:  # the parts on disk hold what the view shows, and nothing else
        (kept,) = duckdb.connect().execute(
            "SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "parts" / "*.parquet")]
        ).fetchone() or (0,)
        assert kept == len(got)
