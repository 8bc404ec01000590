"""Warn when an eligible enterprise can receive 0.00 yuan.

An enterprise that meets every criterion but whose amount formula gives 0 (no floor) is
not granted, offered or invited to apply: delivery records it as ``zero_amount``
(huiqi.delivery.zero). A policy that lets that happen usually lacks a criterion (the
formula reads R&D spend, no criterion requires any) or a floor. This module runs each
policy on the edge frame of :mod:`huiqi.engine.edges` (zeros, the smallest steps, the ends
of each field's range), then on a few eligible enterprises (its own eligible test cases,
eligible edge ones) with each amount field at the values :mod:`huiqi.engine.zero_probes`
tries (every code, the formula's numbers), and reports the first eligible enterprise
whose amount is 0, with the values the amount formula read, at the formula's line and
column. An amount below half a fen is not reported when money the formula reads is under
1 yuan (``0.3 * rent_paid`` at 1 fen): every share below 50 % of a fen rounds to 0.00.

It is a search on chosen values, not a proof: a warning names a real enterprise profile
that gives 0; no warning means none of the profiles tried did.

Example:
    >>> from huiqi.engine.compile.compiler import compile_policy
    >>> from huiqi.policies.loader import load_policy_text
    >>> from huiqi.policies.loader import library_dir
    >>> text = (library_dir() / "sh-stable-jobs-refund-2025.yaml").read_text(encoding="utf-8")
    >>> loaded = load_policy_text(text, "refund.yaml")
    >>> zero_amount_findings([(compile_policy(loaded), loaded.marks)])
    []
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.edges import Marks, edge_profiles, usable_backends
from huiqi.engine.frame_columns import FrameColumn
from huiqi.engine.profile import RawProfile, profile_from_case
from huiqi.engine.results import Evaluation
from huiqi.engine.zero_probes import probes
from huiqi.errors import HuiqiError, Location
from huiqi.policies.lint import Finding
from huiqi.policies.yamlmarks import locate
from huiqi.profiles.dictionary import load_dictionary

KIND = "zero_amount"


_ABSENT = object()


def _value(profile: RawProfile, c: FrameColumn) -> Any:
    """The value column ``c`` holds in ``profile`` (``_ABSENT`` when it holds none)."""
    if c.kind == "static" and c.field in profile.static:
        return profile.static[c.field]
    if c.kind == "yearly" and c.year is not None and c.field in profile.years.get(c.year, {}):
        return profile.years[c.year][c.field]
    return _ABSENT


def _read(profile: RawProfile, columns: Sequence[FrameColumn]) -> str:
    """The values ``columns`` (the amount formula's) hold in ``profile``, as ``field = value``."""
    shown: list[str] = []
    for c in sorted(set(columns)):
        value = _value(profile, c)
        if value is _ABSENT:
            continue
        shown.append(f"{c.field}{f'[{c.year}]' if c.kind == 'yearly' else ''} = {value}")
    return ", ".join(shown)


BASES = 3  # eligible enterprises whose amount fields are varied (zero_probes)


ONE_YUAN = Decimal(1)


def _a_share_of_fen(e: Evaluation, profile: RawProfile, cp: CompiledPolicy) -> bool:
    """Whether ``e``'s amount rounds to 0.00 only because money the formula reads is under
    1 yuan: any share below 50 % of 1 fen rounds to 0.00 (``0.3 * rent_paid`` at 0.01
    yuan gives 0.003), whatever the policy, so that is the fen rounding at work, not a
    missing criterion or floor. A share of 1 yuan or more, or of a count (``0.001 *
    insured_employees``), that rounds to 0.00 is still reported."""
    if e.amount_yuan is None or e.amount_yuan <= 0:
        return False
    d = load_dictionary()
    for c in cp.amount_reads:
        f = d.get(c.field)
        if f is None or f.type != "money":
            continue
        value = _value(profile, c)
        if isinstance(value, Decimal | int) and 0 < value < ONE_YUAN:
            return True
    return False


def _first_zero(
    evaluations: Iterable[Evaluation], cp: CompiledPolicy, by_uscc: dict[str, RawProfile]
) -> Evaluation | None:
    return next(
        (
            e
            for e in evaluations
            if e.status == "eligible"
            and e.amount_fen == 0
            and not _a_share_of_fen(e, by_uscc[e.uscc], cp)
        ),
        None,
    )


def _eligible_cases(cp: CompiledPolicy) -> list[RawProfile]:
    """The profiles of the policy's own eligible test cases (hand-made eligible enterprises,
    which the edge frame rarely holds), those that read without error."""
    out = []
    for i, case in enumerate(cp.policy.tests, start=1):
        if case.expect.status != "eligible":
            continue
        try:
            out.append(
                profile_from_case(case.profile, data_year=cp.policy.data_year, seq=i, written=True)
            )
        except HuiqiError:  # a case that does not read is case_profile_errors' finding
            continue
    return out


@dataclass(frozen=True)
class ZeroAmount:
    """A policy that gives an eligible enterprise 0.00 yuan: where its formula is, and why."""

    location: Location
    message: str

    def finding(self) -> Finding:
        return Finding("warning", f"{self.location}", self.message, kind=KIND)


def zero_amount_findings(
    policies: Sequence[tuple[CompiledPolicy, Marks]], *, backend: str | None = None
) -> list[Finding]:
    """A lint warning for each policy found to give an eligible enterprise 0.00 yuan."""
    return [z.finding() for z in zero_amounts(policies, backend=backend)]


def zero_amounts(
    policies: Sequence[tuple[CompiledPolicy, Marks]], *, backend: str | None = None
) -> list[ZeroAmount]:
    """Each policy found to give an eligible enterprise 0.00 yuan (see the module docstring)."""
    if not policies:
        return []
    from huiqi.engine.backend import get_backend

    name = backend or usable_backends()[0]
    columns: set[FrameColumn] = set()
    for cp, _ in policies:
        columns |= cp.requirements
    profiles = edge_profiles(columns)
    by_uscc = {p.uscc: p for p in profiles}
    try:
        results = get_backend(name).evaluate(profiles, [cp for cp, _ in policies])
    except Exception:  # a failing policy is edge_errors' finding, reported already
        return []
    found: list[ZeroAmount] = []
    for cp, marks in policies:
        own = sorted((e for e in results if e.policy_id == cp.policy.id), key=lambda e: e.uscc)
        zero = _first_zero(own, cp, by_uscc)
        if zero is None:
            # Eligible enterprises with one amount field at a value that often gives 0.
            bases = [
                *_eligible_cases(cp),
                *(by_uscc[e.uscc] for e in own if e.status == "eligible"),
            ]
            bases = bases[:BASES]
            more = probes(cp, bases)
            if not more:
                continue
            by_uscc.update({p.uscc: p for p in more})
            try:
                zero = _first_zero(get_backend(name).evaluate(more, [cp]), cp, by_uscc)
            except Exception:  # pragma: no cover - the same policy ran on the edge frame
                continue
        if zero is None:
            continue
        at = locate(marks, ("amount", "formula"), cp.filename or cp.policy.id)
        at = Location(at.file, at.line, at.column, "amount.formula")
        values = _read(by_uscc[zero.uscc], cp.amount_reads)
        example = f" (for example with {values})" if values else ""
        if zero.amount_yuan is not None and zero.amount_yuan > 0:
            why = (
                f"the formula gives {zero.amount_yuan.normalize():f} yuan, less than half a fen,"
                " which rounds to 0.00"
            )
            fix = (
                "add a criterion on the least amount worth granting (e.g. the field at least"
                " 1 yuan) or a floor (amount.floor)"
            )
        else:
            why = "the formula gives 0 or less, which is 0.00 without a floor"
            fix = (
                "add a criterion that excludes it (e.g. require the field to be above 0)"
                " or a floor (amount.floor)"
            )
        found.append(
            ZeroAmount(
                at,
                f"an enterprise that meets every criterion can receive 0.00 yuan{example}: {why};"
                " it is not granted, offered or notified, only recorded as 'eligible, amount 0'"
                f" (zero_amount); {fix}",
            )
        )
    return found
