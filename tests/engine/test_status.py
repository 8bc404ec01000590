"""Status rules: eligible, near_miss, needs_data, not_eligible; attested and missing data."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from engine_factories import compile_yaml, policy_yaml

from huiqi.engine.compile.compiler import EXAMPLE_POLICY, CompiledPolicy
from huiqi.engine.duckdb.evaluate import evaluate_in, trace_in
from huiqi.engine.duckdb.frame import build_frame
from huiqi.engine.duckdb.matcher import match_frame
from huiqi.engine.duckdb.profile_rows import load_profiles_into
from huiqi.engine.profile import profile_from_case
from huiqi.engine.python.pyeval import evaluate_policy
from huiqi.engine.results import Evaluation

CERT = ["2024-01-01", "2025-12-31"]
POLICY = policy_yaml(
    [("big", "revenue > 100"), ("staffed", "employees > 10"), ("certified", "holds(high_tech)")],
    formula="0.1 * tax_paid",
    # Failing it alone is a near miss (engine/compile/nearness); revenue 90 is within 20 %.
    keys={"certified": {"attainable": "true"}},
    delivery="apply",
)
FULL: dict[str, Any] = {"revenue": 1000, "employees": 20, "high_tech": CERT, "tax_paid": 50}


def evaluate(cp: CompiledPolicy, data: dict[str, Any]) -> Evaluation:
    prof = profile_from_case(data, data_year=cp.policy.data_year)
    con = duckdb.connect()
    load_profiles_into(con, [prof])
    (row,) = evaluate_in(con, [cp])
    py = evaluate_policy(cp, prof)
    assert (py.status, py.amount_fen, py.failed, py.unknown) == (
        row.status,
        row.amount_fen,
        row.failed,
        row.unknown,
    )
    return row


def without(*names: str, **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in FULL.items() if k not in names}
    return {**data, **changes}


STATUS_CASES = [
    ("all met and amount known", FULL, "eligible", (), ()),
    ("exactly one false, none unknown", without(revenue=90), "near_miss", ("big",), ()),
    (
        "one false and one unknown",
        without("employees", revenue=90),
        "not_eligible",
        ("big",),
        ("staffed",),
    ),
    ("two false", without(revenue=90, employees=1), "not_eligible", ("big", "staffed"), ()),
    ("only unknown obstacles", without("revenue"), "needs_data", (), ("big",)),
    ("several unknown", without("revenue", "employees"), "needs_data", (), ("big", "staffed")),
    ("all met, amount unknown", without("tax_paid"), "needs_data", (), ()),
    ("one false, amount unknown", without("tax_paid", revenue=90), "near_miss", ("big",), ()),
    (
        "missing qualification counts as not held",
        without("high_tech"),
        "near_miss",
        ("certified",),
        (),
    ),
    (
        "expired certificate is not held",
        without(high_tech=["2020-01-01", "2024-12-30"]),
        "near_miss",
        ("certified",),
        (),
    ),
    (
        "certificate valid from the evaluation day",
        without(high_tech=["2024-12-31", "2027-12-31"]),
        "eligible",
        (),
        (),
    ),
    (
        "certificate valid to the evaluation day",
        without(high_tech=["2021-12-31", "2024-12-31"]),
        "eligible",
        (),
        (),
    ),
    (
        "certificate starting later is not held",
        without(high_tech=["2025-01-01", "2027-12-31"]),
        "near_miss",
        ("certified",),
        (),
    ),
    (
        "empty profile: no certificate is false",
        {},
        "not_eligible",
        ("certified",),
        ("big", "staffed"),
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "status", "failed", "unknown"), STATUS_CASES, ids=[c[0] for c in STATUS_CASES]
)
def test_status_follows_false_and_unknown_counts(
    case: str, data: dict[str, Any], status: str, failed: tuple[str, ...], unknown: tuple[str, ...]
) -> None:
    row = evaluate(compile_yaml(POLICY), data)
    assert (row.status, row.failed, row.unknown) == (status, failed, unknown)


def test_needs_data_never_has_a_failed_criterion() -> None:
    row = evaluate(compile_yaml(POLICY), without("revenue", "employees", "tax_paid"))
    assert row.status == "needs_data"
    assert row.failed == ()


def test_unknown_amount_makes_an_otherwise_eligible_enterprise_need_data() -> None:
    row = evaluate(compile_yaml(POLICY), without("tax_paid"))
    assert (row.status, row.amount_fen, row.values) == ("needs_data", None, (True, True, True))


ATTESTED = policy_yaml(
    [("big", "revenue > 100")], delivery="confirm", attested=("signed", "no_debt")
)


def test_attested_criteria_do_not_count_in_matching() -> None:
    row = evaluate(compile_yaml(ATTESTED), {"revenue": 1000})
    assert (row.status, row.values, row.failed, row.unknown) == ("eligible", (True,), (), ())


def test_policy_of_only_attested_criteria_is_eligible_for_everyone() -> None:
    cp = compile_yaml(policy_yaml([], delivery="apply", attested=("signed",)))
    row = evaluate(cp, {})
    assert (row.status, row.values, row.amount_fen) == ("eligible", (), 1000000)


def test_attested_criteria_show_as_to_confirm_in_explain() -> None:
    cp = compile_yaml(ATTESTED)
    prof = profile_from_case({"revenue": 1000}, data_year=2024)
    con = duckdb.connect()
    load_profiles_into(con, [prof])
    (ex,) = trace_in(con, [cp], usccs=[prof.uscc])
    assert [(c.id, c.state) for c in ex.criteria] == [
        ("big", "met"),
        ("signed", "to_confirm"),
        ("no_debt", "to_confirm"),
    ]
    assert ex.status == "eligible"
    # Regression (QA, 2026-12-02): total counted the attested criteria, so an eligible
    # enterprise read "meets 1 of 3 conditions"; attested ones are left out of the count
    # (docs/policies.md §5) and shown as to confirm.
    assert (ex.met, ex.total, ex.to_confirm) == (1, 1, 2)


def test_bulk_matching_keeps_near_miss_and_needs_data_but_drops_not_eligible() -> None:
    cp = compile_yaml(POLICY)
    cases = {
        "eligible": FULL,
        "near_miss": without(revenue=90),
        "needs_data": without("revenue"),
        "not_eligible": without(revenue=90, employees=1),
    }
    profs = {
        s: profile_from_case(d, data_year=2024, seq=i) for i, (s, d) in enumerate(cases.items(), 1)
    }
    con = duckdb.connect()
    load_profiles_into(con, list(profs.values()))
    build_frame(con, cp.requirements)
    (summary,) = match_frame(con, [cp], snapshot_id=1)
    rows = con.execute(
        "SELECT uscc, status, eligible, amount_fen, failed_criterion, unknown_criteria FROM matches"
    ).fetchall()
    by_uscc = {r[0]: r[1:] for r in rows}
    assert by_uscc == {
        profs["eligible"].uscc: ("eligible", True, 500, None, None),
        # Only an eligible row carries its amount; `huiqi explain` shows the others'.
        profs["near_miss"].uscc: ("near_miss", False, None, "big", None),
        profs["needs_data"].uscc: ("needs_data", False, None, None, "big"),
    }
    assert (summary.eligible, summary.near_miss, summary.needs_data, summary.amount_fen) == (
        1,
        1,
        1,
        500,
    )


def test_qualification_used_as_a_value_is_refused_at_compile_time() -> None:
    """Regression: 'high_tech IS NULL' compiled and then failed in DuckDB at match time."""
    from huiqi.errors import RuleCompileError

    with pytest.raises(RuleCompileError):
        compile_yaml(policy_yaml([("c", "high_tech IS NULL")]))


def test_near_miss_does_not_claim_to_need_data() -> None:
    """Regression: a near miss whose amount read a missing field was also listed as 'needs data'."""
    from huiqi.engine.compile.compiler import compile_policy
    from huiqi.engine.duckdb.profile_rows import load_profiles_into
    from huiqi.engine.profile import profile_from_case
    from huiqi.policies.loader import load_policy_text

    text = EXAMPLE_POLICY.replace(
        'amount: {formula: "10000"}', 'amount: {formula: "0.1 * rd_expense"}'
    )
    cp = compile_policy(load_policy_text(text, "p.yaml"))
    con = duckdb.connect()
    # 900,000 against "revenue >= 1000000": within the default margin of 20 %.
    prof = profile_from_case({"revenue": {2024: 900_000}}, data_year=2024)
    load_profiles_into(con, [prof])
    (e,) = trace_in(con, [cp], usccs=[prof.uscc])
    assert e.status == "near_miss"
    assert e.missing == ()
