"""Run a policy's own test cases through a backend (the engine's by default).

Each case's profile is evaluated in isolation with the same compiled rules and
the same evaluation bulk matching uses; the result must match ``expect`` exactly
(status, amount to the fen, failing and unknown criteria). Failures read
``file: case 'name': expected … got …``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from huiqi.engine.backend import Backend, get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.profile import RawProfile, profile_from_case
from huiqi.engine.results import Evaluation
from huiqi.errors import HuiqiError, Location, PolicyError
from huiqi.policies.model import TestCase
from huiqi.policies.yamlmarks import Marks, locate


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


def _where(cp: CompiledPolicy) -> str:
    return cp.filename if cp.filename and cp.filename != "<policy>" else cp.policy.id


def _not_near(cp: CompiledPolicy, failed: str) -> str:
    """Why failing this criterion alone is no near miss (docs/policies.md §5.1)."""
    crit = next(c for c in cp.criteria if c.id == failed)
    if crit.nearness == "margin" and crit.margin is not None:
        return (
            f"'{failed}' misses its threshold by more than its margin of"
            f" {(crit.margin * 100).normalize():f}%: a near miss is within it"
        )
    return (
        f"'{failed}' is never a near miss: only a numeric threshold (within its margin) or"
        " an attainable qualification is"
    )


def run_case(
    cp: CompiledPolicy, case: TestCase, seq: int = 1, *, backend: Backend | None = None
) -> CaseResult:
    where = _where(cp)
    try:
        prof = profile_from_case(case.profile, data_year=cp.policy.data_year, seq=seq, written=True)
        others = _others(cp, case, prof.uscc)
        rows = (backend or get_backend()).evaluate([prof, *others], [cp])
        (got,) = [r for r in rows if r.uscc == prof.uscc]
    except HuiqiError as exc:
        return CaseResult(
            cp.policy.id, where, case.name, False, f"{where}: case '{case.name}': {exc}"
        )
    return _judged(cp, case, got)


def _others(cp: CompiledPolicy, case: TestCase, own: str) -> list[RawProfile]:
    """The case's other enterprises (``others:``), each named by its own USCC."""
    found: list[RawProfile] = []
    seen = {own}
    for i, data in enumerate(case.others):
        code = str(data.get("uscc") or "")
        if not code:
            raise PolicyError(
                f"others[{i}] has no uscc: give each other enterprise the USCC its"
                " relations or contracts name it by"
            )
        if code in seen:
            raise PolicyError(f"others[{i}]: {code} is in the case twice; give it once")
        seen.add(code)
        found.append(profile_from_case(data, data_year=cp.policy.data_year, written=True))
    return found


def _judged(cp: CompiledPolicy, case: TestCase, got: Evaluation) -> CaseResult:
    """The case's result: ``got`` against what the case expects."""
    where = _where(cp)
    exp_ = case.expect
    problems: list[str] = []
    if got.status != exp_.status:
        # Say why: "expected eligible, got not_eligible" alone sends the writer hunting.
        why = [
            f"{what} {sorted(ids)}"
            for what, ids, listed in (
                ("failing", got.failed, exp_.failing),
                ("unknown", got.unknown, exp_.unknown),
            )
            if ids and not listed
        ]
        if got.status == "needs_data" and not got.unknown:
            why.append(
                "the amount formula reads a field the profile lacks; a case that means it"
                " expects {status: needs_data, unknown: []}"
            )
        if exp_.status == "near_miss" and got.status == "not_eligible" and len(got.failed) == 1:
            why.append(_not_near(cp, got.failed[0]))
        if got.error:
            why.append(got.error)
        because = f" ({', '.join(why)})" if why else ""
        problems.append(f"expected status {exp_.status}, got {got.status}{because}")
    if exp_.amount is not None and got.amount_fen != _fen(exp_.amount):
        problems.append(f"expected amount {exp_.amount:.2f}, got {_yuan(got.amount_fen)}")
    if exp_.failing and sorted(exp_.failing) != sorted(got.failed):
        problems.append(f"expected failing {sorted(exp_.failing)}, got {sorted(got.failed)}")
    if (exp_.unknown or "unknown" in exp_.model_fields_set) and sorted(exp_.unknown) != sorted(
        got.unknown
    ):
        problems.append(f"expected unknown {sorted(exp_.unknown)}, got {sorted(got.unknown)}")
    message = f"{where}: case '{case.name}': " + "; ".join(problems) if problems else "ok"
    return CaseResult(cp.policy.id, where, case.name, not problems, message)


def run_policy_tests(
    policies: Sequence[CompiledPolicy], *, backend: Backend | None = None
) -> list[CaseResult]:
    """Run every test case of every policy."""
    engine = backend or get_backend()
    results: list[CaseResult] = []
    for cp in policies:
        results.extend(_run_cases(cp, engine))
    return results


def _run_cases(cp: CompiledPolicy, engine: Backend) -> list[CaseResult]:
    """The policy's cases in order. Those whose profile stands alone (no relations or
    contracts naming other enterprises, a USCC no other case uses) are evaluated in one
    call, as they would be one by one: a backend's call costs tens of milliseconds, and
    publishing runs every case. The others, and any case the shared call cannot place,
    run on their own."""
    alone: dict[int, RawProfile] = {}
    for i, case in enumerate(cp.policy.tests, start=1):
        try:
            prof = profile_from_case(
                case.profile, data_year=cp.policy.data_year, seq=i, written=True
            )
        except HuiqiError:
            continue  # run_case reports it
        if not prof.relations and not prof.contracts and not case.others:
            alone[i] = prof
    got: dict[int, Evaluation] = {}
    codes = [p.uscc for p in alone.values()]
    if len(alone) > 1 and len(set(codes)) == len(codes):
        try:
            rows = {r.uscc: r for r in engine.evaluate(list(alone.values()), [cp])}
        except HuiqiError:
            rows = {}
        got = {i: rows[p.uscc] for i, p in alone.items() if p.uscc in rows}
    return [
        _judged(cp, case, got[i]) if i in got else run_case(cp, case, seq=i, backend=engine)
        for i, case in enumerate(cp.policy.tests, start=1)
    ]


def case_profile_errors(cp: CompiledPolicy, marks: Marks) -> list[PolicyError]:
    """Each test-case profile value that cannot be read (an unquoted decimal for money, a
    certificate that is not a pair of dates, an unknown field …), at its file, line and
    column, for ``huiqi policy lint``: the case itself only fails with its name."""
    filename = cp.filename or cp.policy.id
    errors: list[PolicyError] = []
    for i, case in enumerate(cp.policy.tests):
        profiles: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
            (("profile",), case.profile)
        ]
        profiles += [(("others", j), other) for j, other in enumerate(case.others)]
        for where, profile in profiles:
            errors.extend(_value_errors(cp, case, marks, filename, ("tests", i, *where), profile))
    return errors


def _value_errors(
    cp: CompiledPolicy,
    case: TestCase,
    marks: Marks,
    filename: str,
    path: tuple[str | int, ...],
    profile: dict[str, Any],
) -> list[PolicyError]:
    errors: list[PolicyError] = []
    for name, value in profile.items():
        if name == "uscc":
            continue
        try:
            profile_from_case({name: value}, data_year=cp.policy.data_year, written=True)
        except HuiqiError as exc:
            at = locate(marks, (*path, name), filename)
            dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*path, name))
            dotted = dotted.removeprefix(".")
            errors.append(
                PolicyError(
                    f"test case '{case.name}': {exc.message}",
                    location=Location(at.file, at.line, at.column, dotted),
                )
            )
    return errors
