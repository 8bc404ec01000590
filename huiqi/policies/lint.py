"""The policy linter: what loading already refuses, plus what a reviewer would flag.

Errors: a file that does not load (format, unknown field, type error, forbidden
construct), the same id and version twice. Warnings: a file not named after its
policy's id (``<id>.yaml``), fewer than two test cases,
no eligible case, no failing case, an exclusivity group with a single member,
policies of one cap group that state different per-enterprise caps,
policies of one group that disagree on level or data year, and a figure the text
gives in 万元 or as a percentage that the rule or an amount writes as the bare
number (``revenue >= 1000`` under the label "营业收入不低于1000万元"), an amount written
in fen (100 times a yuan figure the text gives), and a grant's cap or floor above the
policy's whole budget. An eligible
enterprise that can receive 0.00 yuan is warned about by huiqi.engine.zero_amounts, which
runs the policies.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from huiqi.policies.close_groups import close_group_hint, known_groups
from huiqi.policies.loader import Library, LoadedPolicy
from huiqi.policies.yamlmarks import locate

# "1000万元", "2亿元", "50万" in a label or title; "3%", "20％".
_TEXT_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)")
_TEXT_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
# "50000元" in a label or title: a figure in plain yuan (not "50万元").
_TEXT_YUAN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*元")
_FEN_PER_YUAN = Decimal(100)
# A number in a rule, outside quotes and year offsets ([-1]).
_RULE_NUMBER = re.compile(r"(?<![\w.\[-])(\d+(?:\.\d+)?)(?![\w.\]])")
_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


@dataclass(frozen=True)
class Finding:
    severity: str  # error | warning
    where: str
    message: str
    # What the finding is about, for callers that filter: "lonely_group" for an
    # exclusivity group with one member among the files linted together.
    kind: str = ""


def lint_library(lib: Library) -> list[Finding]:
    findings = [
        Finding("error", str(one.location or ""), one.message) for e in lib.errors for one in e.all
    ]
    groups: dict[str, list[LoadedPolicy]] = defaultdict(list)
    cap_groups: dict[str, list[LoadedPolicy]] = defaultdict(list)
    for lp in lib.policies:
        p = lp.policy
        where = str(lp.path or p.id)
        statuses = [t.expect.status for t in p.tests]
        if lp.path is not None and lp.path.stem not in (p.id, f"{p.id}-v{p.version}"):
            # A copied file keeps its old name: the next reader looks for <id>.yaml (or,
            # for a later version beside the first, <id>-v<version>.yaml).
            findings.append(
                Finding(
                    "warning",
                    where,
                    f"the file is named '{lp.path.name}' but the policy's id is '{p.id}';"
                    f" rename the file to '{p.id}{lp.path.suffix}' (or"
                    f" '{p.id}-v{p.version}{lp.path.suffix}' beside an earlier version),"
                    " or change the id",
                    kind="file_name",
                )
            )
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
            groups[p.exclusivity_group].append(lp)
        if p.cap_group:
            cap_groups[p.cap_group].append(lp)
        findings.extend(_group_names(lp))
        findings.extend(unit_slips(lp))
        findings.extend(_future_data_year(lp))
    findings.extend(_cap_disagreements(cap_groups))
    known: dict[str, list[str]] | None = None
    for group, members in sorted(groups.items()):
        if len(members) < 2:
            (lp,) = members
            if known is None:
                known = known_groups([m for ms in groups.values() for m in ms])
            at = locate(lp.marks, ("exclusivity_group",), str(lp.path or lp.filename))
            findings.append(
                Finding(
                    "warning",
                    f"{at}, field 'exclusivity_group'",
                    f"only {lp.policy.id} is in exclusivity group '{group}' among the files"
                    " checked: check the name against the group's other policies, and lint"
                    " them together (huiqi policy lint FILE... or a folder)"
                    + close_group_hint(group, lp.policy.id, known),
                    kind="lonely_group",
                )
            )
    return findings


def _future_data_year(lp: LoadedPolicy) -> list[Finding]:
    """A data year after the policy's last day's year (data_year: 2030 in a 2026 policy, a
    slip for 2025): a year's figures exist once it has ended, so while the policy is in
    force every enterprise needs data and none is delivered anything."""
    p = lp.policy
    if p.data_year <= p.valid_to.year:
        return []
    at = locate(lp.marks, ("data_year",), str(lp.path or lp.filename))
    return [
        Finding(
            "warning",
            f"{at}, field 'data_year'",
            f"data_year {p.data_year} is after the policy's last year ({p.valid_to.year}):"
            " no registry has a year's figures before the year has ended, so every"
            " enterprise would need data; a policy usually judges the year before it starts"
            f" (data_year: {p.valid_from.year - 1})",
            kind="data_year",
        )
    ]


GROUP_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _group_names(lp: LoadedPolicy) -> list[Finding]:
    """A group named otherwise than in lower case with hyphens (docs/policies.md §8): groups
    join policies by the very same name, so one written 'QA_Excl' by one author and
    'qa-excl' by another are two groups, and 就高不重复 silently does not apply."""
    found = []
    for key in ("exclusivity_group", "cap_group"):
        name = getattr(lp.policy, key)
        if not name or GROUP_NAME.fullmatch(name):
            continue
        hyphened = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        example = f" such as '{hyphened}'" if hyphened else ""
        at = locate(lp.marks, (key,), str(lp.path or lp.filename))
        found.append(
            Finding(
                "warning",
                f"{at}, field '{key}'",
                f"the group name '{name}' is not in lower-case letters, digits and hyphens:"
                " a group joins only the policies that write its name exactly alike, so"
                f" write it in that form{example}, as its other policies do",
                kind="group_name",
            )
        )
    return found


def _cap_disagreements(cap_groups: dict[str, list[LoadedPolicy]]) -> list[Finding]:
    """Policies of one cap_group that state different per_enterprise_caps: each grant is
    held to its own policy's cap, so what an enterprise receives in all would depend on the
    order the policies are published or claimed in."""
    findings: list[Finding] = []
    for group, members in sorted(cap_groups.items()):
        caps = {lp.policy.per_enterprise_cap for lp in members}
        if len(caps) < 2:
            continue
        stated = ", ".join(
            f"{lp.policy.id} {_plain(lp.policy.per_enterprise_cap or Decimal(0))}" for lp in members
        )
        for lp in members:
            at = locate(lp.marks, ("per_enterprise_cap",), str(lp.path or lp.filename))
            findings.append(
                Finding(
                    "warning",
                    f"{at}, field 'per_enterprise_cap'",
                    f"the policies of cap group '{group}' state different caps ({stated}):"
                    " each grant is held to its own policy's cap, so the total depends on"
                    " the order of publishing and claims; state the same cap in each",
                    kind="cap_disagreement",
                )
            )
    return findings


def _rule_numbers(text: str) -> set[Decimal]:
    unquoted = re.sub(r"'[^']*'", "''", text)
    return {Decimal(m) for m in _RULE_NUMBER.findall(unquoted)}


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def unit_slips(lp: LoadedPolicy) -> list[Finding]:
    """Warnings for a figure written in the text's unit instead of the rule's.

    Amounts in rules and in ``cap``, ``floor``, ``budget`` and ``per_enterprise_cap``
    are yuan, and shares are fractions (docs/policies.md §6): a label that says
    "1000万元" over ``revenue >= 1000``, or "3%" over ``rd_expense >= 3 * revenue``,
    is almost surely the text's figure copied as it stands. Only a warning: the test
    cases decide, and a number can be right by coincidence.
    """
    p = lp.policy
    name = str(lp.path or lp.filename)
    found: list[Finding] = []

    def where(path: tuple[str | int, ...]) -> str:
        return str(locate(lp.marks, path, name))

    def amounts(text: str) -> list[tuple[Decimal, str, Decimal]]:
        return [(Decimal(n), u, Decimal(n) * _UNITS[u]) for n, u in _TEXT_AMOUNT.findall(text)]

    for i, c in enumerate(p.criteria):
        if c.expr is None:
            continue
        numbers = _rule_numbers(c.expr)
        label = c.label.zh
        for n, unit, yuan in amounts(label):
            if n in numbers and yuan not in numbers and n != yuan:
                found.append(
                    Finding(
                        "warning",
                        where(("criteria", i, "expr")),
                        f"criterion '{c.id}': the label says {_plain(n)}{unit}元 but the rule "
                        f"compares with {_plain(n)}; amounts in rules are yuan: write "
                        f"{_plain(yuan)}",
                    )
                )
        for n in {Decimal(x) for x in _TEXT_PERCENT.findall(label)}:
            share = n / 100
            if n in numbers and share not in numbers and n > 1:
                found.append(
                    Finding(
                        "warning",
                        where(("criteria", i, "expr")),
                        f"criterion '{c.id}': the label says {_plain(n)}% but the rule uses "
                        f"{_plain(n)}; a share is a fraction in a rule: write {_plain(share)}",
                    )
                )
    texts = " ".join(
        t
        for t in (p.title.zh, p.summary.zh if p.summary else "", *(c.label.zh for c in p.criteria))
        if t
    )
    stated = amounts(texts)
    figures: list[tuple[tuple[str | int, ...], str, set[Decimal]]] = [
        (("amount", "formula"), "the amount formula", _rule_numbers(p.amount.formula)),
    ]
    for key, value in (
        (("amount", "cap"), p.amount.cap),
        (("amount", "floor"), p.amount.floor),
        (("budget",), p.budget),
        (("per_enterprise_cap",), p.per_enterprise_cap),
    ):
        if value is not None:
            figures.append((key, ".".join(map(str, key)), {Decimal(value)}))
    in_yuan = [(Decimal(n), "", Decimal(n)) for n in _TEXT_YUAN.findall(texts)]
    # A figure the text itself states in yuan is no slip, even when it is 100 times
    # another (3000元 per person, at most 30万元: a cap of 300000).
    said = {yuan for _, _, yuan in [*stated, *in_yuan]}
    for path, what, numbers in figures:
        for n, unit, yuan in stated:
            if n in numbers and yuan not in numbers and n != yuan:
                found.append(
                    Finding(
                        "warning",
                        where(path),
                        f"{what} has {_plain(n)} where the policy's text says {_plain(n)}{unit}元;"
                        f" amounts are yuan: write {_plain(yuan)}",
                    )
                )
                break
        else:
            for n, unit, yuan in [*stated, *in_yuan]:
                fen = yuan * _FEN_PER_YUAN
                if fen in numbers and yuan not in numbers and fen not in said:
                    found.append(
                        Finding(
                            "warning",
                            where(path),
                            f"{what} has {_plain(fen)}, 100 times the {_plain(n)}{unit}元 the"
                            " policy's text says: that is the amount in fen; amounts are"
                            f" yuan: write {_plain(yuan)}",
                            kind="fen_slip",
                        )
                    )
                    break
    found.extend(_beyond_budget(lp, where))
    return found


def _beyond_budget(
    lp: LoadedPolicy, where: Callable[[tuple[str | int, ...]], str]
) -> list[Finding]:
    """A grant's cap or floor above the policy's whole budget: no grant can reach the cap
    (a floor above the budget pays no one), which a figure written in fen (100 times
    the yuan) or in yuan where the budget is in 万 makes. A per-enterprise cap may
    exceed one policy's budget (it spans a cap group), so it is not compared."""
    p = lp.policy
    if p.budget is None:
        return []
    found: list[Finding] = []
    for key, value, what in (
        (("amount", "cap"), p.amount.cap, "no grant can reach it"),
        (("amount", "floor"), p.amount.floor, "no grant can be paid"),
    ):
        if value is not None and value > p.budget:
            found.append(
                Finding(
                    "warning",
                    where(key),
                    f"{'.'.join(key)} {_plain(value)} is more than the whole budget"
                    f" {_plain(p.budget)}, so {what}; amounts are yuan, not fen: check the"
                    f" unit of both",
                    kind="beyond_budget",
                )
            )
    return found
