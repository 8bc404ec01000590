"""Overlaps inside an exclusivity group, found with the policies' own test cases.

Policies of one group (就高不重复) grant an enterprise only the highest of them. Where an
enterprise one policy's author meant to grant is also granted by another member at least
as much, the first policy gives that enterprise nothing: a reviewer should know before
publishing (two rungs of a ladder whose thresholds were meant to be disjoint, a district
award copied from the city's). Each eligible test case of each member is evaluated under
the group's other members, with the same compiled rules and backend as ``huiqi policy
test``; a member that grants the case at least as much is a warning at the outranked
policy's ``exclusivity_group``.

Example (a policy is never compared with itself; one member alone finds nothing):
    >>> group_overlaps([])
    []
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from huiqi.engine.backend import Backend, get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.profile import RawProfile, profile_from_case
from huiqi.errors import HuiqiError
from huiqi.money import format_yuan
from huiqi.policies.lint import Finding
from huiqi.policies.yamlmarks import Marks, locate


def _evaluate(backend: Backend, cp: CompiledPolicy, profile: RawProfile) -> tuple[str, int | None]:
    try:
        (got,) = backend.evaluate([profile], [cp])
    except HuiqiError:
        return "error", None
    return got.status, got.amount_fen


def group_overlaps(
    pairs: Sequence[tuple[CompiledPolicy, Marks]], *, backend: Backend | None = None
) -> list[Finding]:
    """A warning for each member of a group whose eligible test case another member of the
    group grants at least as much (the first such case per pair of policies)."""
    engine = backend or get_backend()
    groups: dict[str, list[tuple[CompiledPolicy, Marks]]] = defaultdict(list)
    for cp, marks in pairs:
        if cp.policy.exclusivity_group:
            groups[cp.policy.exclusivity_group].append((cp, marks))
    findings: list[Finding] = []
    for group, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        for cp, marks in members:
            where = cp.filename or cp.policy.id
            at = f"{locate(marks, ('exclusivity_group',), where)}, field 'exclusivity_group'"
            told: set[str] = set()
            for seq, case in enumerate(cp.policy.tests, start=1):
                if case.expect.status != "eligible":
                    continue
                try:
                    profile = profile_from_case(
                        case.profile, data_year=cp.policy.data_year, seq=seq, written=True
                    )
                except HuiqiError:
                    continue  # the case's own error is reported by the case checks
                own, amount = _evaluate(engine, cp, profile)
                if own != "eligible" or amount is None:
                    continue
                for other, _ in members:
                    if other is cp or other.policy.id in told:
                        continue
                    status, theirs = _evaluate(engine, other, profile)
                    if status != "eligible" or theirs is None or theirs < amount:
                        continue
                    told.add(other.policy.id)
                    findings.append(
                        Finding(
                            "warning",
                            at,
                            f"test case '{case.name}' of {cp.policy.id} ({format_yuan(amount)}"
                            f" yuan) is also eligible under {other.policy.id}, which gives"
                            f" {format_yuan(theirs)} yuan: exclusivity group '{group}' grants"
                            f" such an enterprise only {other.policy.id}'s amount, and nothing"
                            f" under {cp.policy.id}; check that both policies are meant to"
                            " cover it",
                            kind="group_overlap",
                        )
                    )
    return findings
