"""Run a policy's own test cases through the same SQL the bulk engine runs.

Each case's profile goes into a fresh in-memory DuckDB store, the frame is built
and the policy evaluated; the result must match ``expect`` exactly (status,
amount to the fen, failing and unknown criteria). Failures read
``file: case 'name': expected … got …``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from huiqi.engine.duckdb.evaluate import evaluate_in
from huiqi.engine.duckdb.profile_rows import load_profiles_into, profile_from_case
from huiqi.errors import HuiqiError
from huiqi.policies.loader import LoadedPolicy
from huiqi.policies.model import TestCase


@dataclass(frozen=True)
class CaseResult:
    policy: str
    file: str
    case: str
    ok: bool
    message: str


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def _yuan(fen: int | None) -> str:
    return "none" if fen is None else f"{Decimal(fen) / 100:.2f}"


def run_case(lp: LoadedPolicy, case: TestCase, seq: int = 1) -> CaseResult:
    where = str(lp.path) if lp.path else lp.policy.id
    con = duckdb.connect()
    try:
        prof = profile_from_case(case.profile, data_year=lp.policy.data_year, seq=seq)
        load_profiles_into(con, [prof])
        (got,) = evaluate_in(con, [lp.compiled])
    except HuiqiError as exc:
        return CaseResult(
            lp.policy.id, where, case.name, False, f"{where}: case '{case.name}': {exc}"
        )
    finally:
        con.close()
    exp_ = case.expect
    problems: list[str] = []
    if got.status != exp_.status:
        problems.append(f"expected status {exp_.status}, got {got.status}")
    if exp_.amount is not None and got.amount_fen != _fen(exp_.amount):
        problems.append(f"expected amount {exp_.amount:.2f}, got {_yuan(got.amount_fen)}")
    if exp_.failing and sorted(exp_.failing) != sorted(got.failed):
        problems.append(f"expected failing {sorted(exp_.failing)}, got {sorted(got.failed)}")
    if exp_.unknown and sorted(exp_.unknown) != sorted(got.unknown):
        problems.append(f"expected unknown {sorted(exp_.unknown)}, got {sorted(got.unknown)}")
    message = f"{where}: case '{case.name}': " + "; ".join(problems) if problems else "ok"
    return CaseResult(lp.policy.id, where, case.name, not problems, message)


def run_policy_tests(policies: list[LoadedPolicy]) -> list[CaseResult]:
    """Run every test case of every policy."""
    results: list[CaseResult] = []
    for lp in policies:
        for i, case in enumerate(lp.policy.tests, start=1):
            results.append(run_case(lp, case, seq=i))
    return results
