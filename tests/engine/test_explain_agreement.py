"""An explanation (a few enterprises) agrees with bulk matching (all enterprises), reads
true values, and equals the reference backend's explanation.

Bulk: ``match_frame`` over a frame built for everyone, plus ``Backend.evaluate`` for
the rows bulk matching drops. Explanation: ``Backend.trace`` for the chosen USCCs, on
the DuckDB backend and on the pure-Python reference backend.
"""

from __future__ import annotations

import random
import re

import pytest
from engine_factories import POLICIES, compile_spec, random_profiles

from huiqi.engine import CompiledPolicy, PolicyTrace, get_backend
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.matcher import match_frame
from huiqi.engine.python.pyeval import column_value
from huiqi.profiles.dictionary import load_dictionary

N_PROFILES = 500
N_EXPLAINED = 40
# Constructs that can make a criterion TRUE while one of its reads is missing.
CAN_MEET_WITH_NULL = re.compile(r"COALESCE|\bIS\b|\bOR\b|\bNOT\b|CASE|\bIF\(|GREATEST|LEAST")
# Constructs that can make a criterion decided while one of its reads is missing.
NULL_TOLERANT = re.compile(r"COALESCE|\bIS\b|\bOR\b|CASE|\bIF\(|GREATEST|LEAST|\bAND\b|BETWEEN")


@pytest.fixture(scope="module")
def world() -> dict[str, object]:
    profiles = random_profiles(N_PROFILES, seed=7)
    policies = [compile_spec(pid, spec) for pid, spec in POLICIES.items()]
    duck = DuckDBBackend()
    with duck.connect(profiles) as con:
        build_frame(con, set().union(*(cp.requirements for cp in policies)))
        match_frame(con, policies, snapshot_id=1)
        matches = {
            (r[1], r[0]): r[2:]
            for r in con.execute(
                "SELECT uscc, policy_id, status, amount_fen, failed_criterion, unknown_criteria"
                " FROM matches"
            ).fetchall()
        }
    everyone = {(e.policy_id, e.uscc): e for e in duck.evaluate(profiles, policies)}
    chosen = random.Random(11).sample(profiles, N_EXPLAINED)
    usccs = [p.uscc for p in chosen]
    explanations: dict[str, list[PolicyTrace]] = {u: [] for u in usccs}
    for t in duck.trace(profiles, policies, usccs=usccs):
        explanations[t.uscc].append(t)
    return {
        "profiles": {p.uscc: p for p in chosen},
        "policies": {cp.policy.id: cp for cp in policies},
        "matches": matches,
        "everyone": everyone,
        "explanations": explanations,
        "traces": duck.trace(profiles, policies, usccs=usccs),
        "reference": get_backend("python").trace(profiles, policies, usccs=usccs),
        "single": get_backend("single").trace(profiles, policies, usccs=usccs),
    }


def test_duckdb_traces_equal_the_reference_backend_traces(world: dict[str, object]) -> None:
    """The whole explanation (states, values read, computed amount, missing data) agrees."""
    traces, reference = world["traces"], world["reference"]
    assert isinstance(traces, list) and isinstance(reference, list)
    assert len(traces) == len(reference) == N_EXPLAINED * len(POLICIES)
    wrong = [f"{a}\n  != {b}" for a, b in zip(traces, reference, strict=True) if a != b]
    assert not wrong, f"{len(wrong)} traces differ:\n" + "\n".join(wrong[:3])


def test_in_process_traces_equal_the_reference_backend_traces(world: dict[str, object]) -> None:
    """The one-enterprise backend explains exactly as the reference (and so as DuckDB)."""
    single, reference = world["single"], world["reference"]
    assert isinstance(single, list) and isinstance(reference, list)
    assert len(single) == len(reference) == N_EXPLAINED * len(POLICIES)
    wrong = [f"{a}\n  != {b}" for a, b in zip(single, reference, strict=True) if a != b]
    assert not wrong, f"{len(wrong)} traces differ:\n" + "\n".join(wrong[:3])


def test_trace_json_round_trips_for_every_explanation(world: dict[str, object]) -> None:
    import json

    traces = world["traces"]
    assert isinstance(traces, list)
    for t in traces:
        text = json.dumps(t.to_json(), ensure_ascii=False)
        assert PolicyTrace.from_json(json.loads(text)) == t


def _pairs(world: dict[str, object]) -> list[tuple[str, PolicyTrace]]:
    explanations = world["explanations"]
    assert isinstance(explanations, dict)
    return [(u, ex) for u, exs in explanations.items() for ex in exs]


def test_every_policy_is_explained_for_every_chosen_enterprise(world: dict[str, object]) -> None:
    pairs = _pairs(world)
    assert len(pairs) == N_EXPLAINED * len(POLICIES)
    statuses = {ex.status for _, ex in pairs}
    # Near misses need a threshold failed within its margin: the random world may hold none.
    assert (
        {"eligible", "needs_data", "not_eligible"}
        <= statuses
        <= {
            "eligible",
            "near_miss",
            "needs_data",
            "not_eligible",
        }
    )


def test_explanation_status_and_amount_equal_bulk_matching(world: dict[str, object]) -> None:
    matches = world["matches"]
    assert isinstance(matches, dict)
    wrong = []
    for uscc, ex in _pairs(world):
        bulk = matches.get((ex.policy_id, uscc))
        if ex.status == "not_eligible":
            if bulk is not None:
                wrong.append(f"{uscc} {ex.policy_id}: explain not_eligible, bulk {bulk}")
            continue
        unknown = ",".join(c.id for c in ex.criteria if c.state == "unknown") or None
        failed = ",".join(c.id for c in ex.criteria if c.state == "not_met")
        # The bulk table carries the amount of eligible rows only; explain computes it always.
        want = (
            ex.status,
            ex.amount.amount_fen if ex.status == "eligible" else None,
            failed if ex.status == "near_miss" else None,
            unknown,
        )
        if bulk != want:
            wrong.append(f"{uscc} {ex.policy_id}: explain {want}, bulk {bulk}")
    assert not wrong, "\n".join(wrong[:10])


def test_explanation_criteria_equal_bulk_evaluation(world: dict[str, object]) -> None:
    everyone = world["everyone"]
    assert isinstance(everyone, dict)
    state = {True: "met", False: "not_met", None: "unknown"}
    wrong = []
    for uscc, ex in _pairs(world):
        bulk = everyone[(ex.policy_id, uscc)]
        checked = [c for c in ex.criteria if c.state != "to_confirm"]
        got = (ex.status, ex.amount.amount_fen, [c.state for c in checked])
        want = (bulk.status, bulk.amount_fen, [state[v] for v in bulk.values])
        failed = tuple(c.id for c in checked if c.state == "not_met")
        unknown = tuple(c.id for c in checked if c.state == "unknown")
        if got != want or (failed, unknown) != (bulk.failed, bulk.unknown):
            wrong.append(f"{uscc} {ex.policy_id}: explain {got}, bulk {want}")
    assert not wrong, "\n".join(wrong[:10])


def test_explanation_reads_the_enterprise_true_values(world: dict[str, object]) -> None:
    profiles = world["profiles"]
    assert isinstance(profiles, dict)
    d = load_dictionary()
    wrong = []
    for uscc, ex in _pairs(world):
        prof = profiles[uscc]
        reads = [r for c in ex.criteria for r in c.reads] + list(ex.amount.reads)
        for r in reads:
            want = column_value(r.column, prof)
            if r.value != want:
                wrong.append(
                    f"{uscc} {ex.policy_id} {r.column}: read {r.value!r}, profile {want!r}"
                )
            if r.source != d.field(r.field).source:
                wrong.append(f"{uscc} {r.column}: source {r.source}")
    assert not wrong, "\n".join(wrong[:10])


def test_decided_strict_criterion_has_no_missing_read(world: dict[str, object]) -> None:
    wrong = []
    for uscc, ex in _pairs(world):
        for c in ex.criteria:
            strict = c.expression is not None and not NULL_TOLERANT.search(c.expression)
            if c.state in ("met", "not_met") and strict and any(r.missing for r in c.reads):
                wrong.append(f"{uscc} {ex.policy_id}.{c.id} {c.state} with missing reads")
    assert not wrong, "\n".join(wrong[:10])


def test_met_conjunction_has_no_missing_read(world: dict[str, object]) -> None:
    """TRUE AND x is TRUE only when x is known: a met conjunction without OR/NOT read everything."""
    wrong = []
    for uscc, ex in _pairs(world):
        for c in ex.criteria:
            text = c.expression or ""
            tolerant = CAN_MEET_WITH_NULL.search(text)
            if c.state == "met" and not tolerant and any(r.missing for r in c.reads):
                wrong.append(f"{uscc} {ex.policy_id}.{c.id} met with missing reads")
    assert not wrong, "\n".join(wrong[:10])


def test_unknown_criterion_names_a_missing_read_unless_it_divides(world: dict[str, object]) -> None:
    wrong = []
    for uscc, ex in _pairs(world):
        for c in ex.criteria:
            divides = "/" in (c.expression or "")
            if c.state == "unknown" and not divides and not any(r.missing for r in c.reads):
                wrong.append(f"{uscc} {ex.policy_id}.{c.id} unknown but nothing missing")
    assert not wrong, "\n".join(wrong[:10])


def test_needs_data_explanation_lists_what_is_missing(world: dict[str, object]) -> None:
    policies = world["policies"]
    assert isinstance(policies, dict)
    wrong = []
    for uscc, ex in _pairs(world):
        divides = any("/" in (c.expression or "") for c in ex.criteria if c.state == "unknown")
        if ex.status == "needs_data" and not divides and not ex.missing:
            wrong.append(f"{uscc} {ex.policy_id}: needs_data with nothing missing")
        cp: CompiledPolicy = policies[ex.policy_id]
        assert len(ex.criteria) == len(cp.criteria)
    assert not wrong, "\n".join(wrong[:10])


def test_explained_amount_is_exact(world: dict[str, object]) -> None:
    from decimal import Decimal

    for _, ex in _pairs(world):
        assert ex.amount.amount_fen is None or type(ex.amount.amount_fen) is int
        assert ex.amount.computed_yuan is None or isinstance(ex.amount.computed_yuan, Decimal)
