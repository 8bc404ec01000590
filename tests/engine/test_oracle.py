"""The oracle: every backend agrees with the pure-Python reference backend.

2,000 seeded random enterprises (every field type, ~15 % None, qualification
periods, tags) x a set of policies that exercise every construct of the rule
language. Status, amount in fen, failed and unknown criteria and every criterion
value must be equal for every enterprise and policy. Both sides run through the
``Backend`` interface (``get_backend(name).evaluate``).
"""

from __future__ import annotations

import duckdb
import pytest
from engine_factories import (
    POLICIES,
    compile_spec,
    compile_yaml,
    load_fast,
    policy_yaml,
    random_profiles,
)

from huiqi.engine import CompiledPolicy, Evaluation, get_backend
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import RawProfile

N_PROFILES = 2000
# Every backend that can evaluate profiles held in memory, checked against "python".
BACKENDS = ["duckdb", "single"]


@pytest.fixture(scope="module")
def profiles() -> list[RawProfile]:
    return random_profiles(N_PROFILES)


@pytest.fixture(scope="module")
def compiled() -> dict[str, CompiledPolicy]:
    return {pid: compile_spec(pid, spec) for pid, spec in POLICIES.items()}


def _by_key(rows: list[Evaluation]) -> dict[tuple[str, str], Evaluation]:
    return {(r.policy_id, r.uscc): r for r in rows}


@pytest.fixture(scope="module", params=BACKENDS)
def bulk(
    request: pytest.FixtureRequest,
    profiles: list[RawProfile],
    compiled: dict[str, CompiledPolicy],
) -> dict[tuple[str, str], Evaluation]:
    return _by_key(get_backend(request.param).evaluate(profiles, list(compiled.values())))


@pytest.fixture(scope="module")
def reference(
    profiles: list[RawProfile], compiled: dict[str, CompiledPolicy]
) -> dict[tuple[str, str], Evaluation]:
    return _by_key(get_backend("python").evaluate(profiles, list(compiled.values())))


def test_random_profiles_cover_every_field_type_with_some_none(profiles: list[RawProfile]) -> None:
    statics = [p.static for p in profiles]
    assert all(any(s[k] is None for s in statics) for k in statics[0])
    assert all(any(s[k] is not None for s in statics) for k in statics[0])
    assert sum(bool(p.qualifications) for p in profiles) > N_PROFILES / 3
    assert any(p.static["tags"] == [] for p in profiles)


def test_bulk_has_one_row_per_enterprise_and_policy(bulk: dict, profiles: list[RawProfile]) -> None:
    assert len(bulk) == len(profiles) * len(POLICIES)


@pytest.mark.parametrize("policy_id", list(POLICIES))
def test_backend_agrees_with_reference_backend(
    policy_id: str,
    profiles: list[RawProfile],
    bulk: dict[tuple[str, str], Evaluation],
    reference: dict[tuple[str, str], Evaluation],
) -> None:
    disagreements = []
    statuses = set()
    for prof in profiles:
        sql = bulk[(policy_id, prof.uscc)]
        py = reference[(policy_id, prof.uscc)]
        statuses.add(sql.status)
        got = (sql.status, sql.amount_fen, sql.failed, sql.unknown, sql.values, sql.amount_yuan)
        want = (py.status, py.amount_fen, py.failed, py.unknown, py.values, py.amount_yuan)
        if got != want:
            disagreements.append(f"{prof.uscc} {policy_id}:\n  sql {got}\n  py  {want}")
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(
        disagreements[:10]
    )
    # The random population must exercise more than one outcome of every policy.
    assert len(statuses) >= 2, statuses


@pytest.mark.parametrize("policy_id", list(POLICIES))
def test_amounts_are_int_fen_or_none(
    policy_id: str, bulk: dict[tuple[str, str], Evaluation], profiles: list[RawProfile]
) -> None:
    kinds = {type(bulk[(policy_id, p.uscc)].amount_fen) for p in profiles}
    assert kinds <= {int, type(None)}


def _agree(cp: CompiledPolicy, prof: RawProfile) -> tuple[object, object]:
    (sql,) = get_backend("duckdb").evaluate([prof], [cp])
    (py,) = get_backend("python").evaluate([prof], [cp])
    return (
        (sql.status, sql.amount_fen, sql.values),
        (py.status, py.amount_fen, py.values),
    )


def test_nested_division_by_zero_is_unknown_in_both_engines() -> None:
    """Regression: guard_division guarded only the outermost '/', so with employees = 0 the
    inner rd_staff / employees was inf in DuckDB and ZeroDivisionError in the reference."""
    cp = compile_yaml(
        policy_yaml([("c", "(rd_staff / employees) / (college_staff / employees) > 0.5")])
    )
    prof = RawProfile(
        "91310115MA1K000001", years={2024: {"rd_staff": 3, "college_staff": 4, "employees": 0}}
    )
    sql, py = _agree(cp, prof)
    assert sql == py == ("needs_data", 1000000, (None,))


def test_batched_loading_stores_exactly_what_load_profiles_into_stores() -> None:
    """The oracle loads with batched inserts for speed; it must store the same rows."""
    from huiqi.engine.duckdb.profile_rows import read_profiles

    sample = random_profiles(30, seed=3)
    slow, fast = duckdb.connect(), duckdb.connect()
    load_profiles_into(slow, sample)
    load_fast(fast, sample)
    for a, b in zip(read_profiles(slow), read_profiles(fast), strict=True):
        assert (a.uscc, a.static, a.years, sorted(a.qualifications)) == (
            b.uscc,
            b.static,
            b.years,
            sorted(b.qualifications),
        )
