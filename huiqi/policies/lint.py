"""The policy linter: what loading already refuses, plus what a reviewer would flag.

Errors: a file that does not load (format, unknown field, type error, forbidden
construct), the same id and version twice. Warnings: fewer than two test cases,
no eligible case, no failing case, an exclusivity group with a single member,
policies of one group that disagree on level or data year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from huiqi.policies.loader import Library


@dataclass(frozen=True)
class Finding:
    severity: str  # error | warning
    where: str
    message: str


def lint_library(lib: Library) -> list[Finding]:
    findings = [
        Finding("error", str(one.location or ""), one.message) for e in lib.errors for one in e.all
    ]
    groups: dict[str, list[str]] = defaultdict(list)
    for lp in lib.policies:
        p = lp.policy
        where = str(lp.path or p.id)
        statuses = [t.expect.status for t in p.tests]
        if len(p.tests) < 2:
            findings.append(
                Finding("warning", where, f"{len(p.tests)} test case(s); write at least two")
            )
        if "eligible" not in statuses:
            findings.append(
                Finding("warning", where, "no eligible test case with its exact amount")
            )
        if not any(s in ("near_miss", "not_eligible") for s in statuses):
            findings.append(Finding("warning", where, "no test case that fails a criterion"))
        if p.exclusivity_group:
            groups[p.exclusivity_group].append(p.id)
    for group, members in sorted(groups.items()):
        if len(members) < 2:
            findings.append(
                Finding(
                    "warning", f"group {group}", f"only {members[0]} is in this exclusivity group"
                )
            )
    return findings
