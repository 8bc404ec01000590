"""Lint's warning for an amount formula that can leave an eligible enterprise without an
amount: a CASE without ELSE, an IF without its third argument.

Such a formula is unknown (NULL) for an enterprise that no branch fits, and an unknown
amount reads as "needs data", which no data could give. Where the criteria hold every
eligible enterprise inside a branch (tiers "5000万元以上30万元，1亿元以上50万元" over a
criterion ``revenue >= 50000000``) the formula is right as written: a document's tiers
often read so, and policies written that way elsewhere must still load. So it is a
warning with the fix (``ELSE 0``), never a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence

from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.compile.parse import parse_rule
from huiqi.engine.compile.tree_slips import open_branch
from huiqi.errors import Location
from huiqi.policies.lint import Finding
from huiqi.policies.yamlmarks import Marks, locate

KIND = "open_amount"


def open_amounts(policies: Sequence[tuple[CompiledPolicy, Marks]]) -> list[tuple[Location, str]]:
    """Where each policy's amount formula has a branch with no amount, and what to say."""
    found: list[tuple[Location, str]] = []
    for cp, marks in policies:
        said = open_branch(parse_rule(cp.policy.amount.formula))
        if said is not None:
            at = locate(marks, ("amount", "formula"), cp.filename or cp.policy.id)
            found.append((Location(at.file, at.line, at.column, "amount.formula"), said))
    return found


def open_amount_findings(policies: Sequence[tuple[CompiledPolicy, Marks]]) -> list[Finding]:
    """Lint's warning for each policy whose amount formula has a branch with no amount."""
    return [Finding("warning", str(at), said, kind=KIND) for at, said in open_amounts(policies)]
