"""A district policy is for its own district's enterprises: which others would it reach?

A policy of ``level: district`` names its district as ``region``, but only its criteria
decide whom it grants: one written without a criterion on ``district_code`` grants the
enterprises of every district. Its district officer's simulation covers only the
district's enterprises (``huiqi.matching.district_scope``), so the simulation showed one
eligible enterprise where publishing then offered money to two, the second in another
district, out of the district's budget.

Each other district of the code list is probed as an enterprise known only by its district
(every other field unknown), through the same compiled rules and backend as the policy's
test cases. The policy stops at its district's border when each probe is ``not_eligible``:
some criterion is FALSE for that district whatever else is true. A probe that is
eligible, needs data or is a near miss is a district the policy reaches. Lint reports it
as an error at ``region``, and publishing refuses the policy.

Example (no policy, no problem):
    >>> district_reach_errors([])
    []
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from huiqi.engine.backend import Backend, get_backend
from huiqi.engine.compile.compiler import CompiledPolicy
from huiqi.engine.profile import profile_from_case
from huiqi.errors import HuiqiError, Location, PolicyError
from huiqi.policies.yamlmarks import Marks, locate
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.uscc import make

FIELD = "district_code"


def other_districts(region: str) -> list[str]:
    """The district codes of the dictionary's list, but ``region``."""
    dictionary = load_dictionary()
    codes = dictionary.field(FIELD).codes
    if codes is None:
        return []
    return [c for c in dictionary.codelist(codes).codes if c != region]


def districts_reached(cp: CompiledPolicy, *, backend: Backend | None = None) -> list[str]:
    """The other districts whose enterprises a district policy does not refuse on their
    district alone (empty for a city policy, and for a district policy that keeps to its
    district)."""
    p = cp.policy
    if p.level != "district":
        return []
    engine = backend or get_backend()
    codes = other_districts(p.region)
    # A qualification not on record is not held (FALSE, never unknown), so a probe known
    # only by its district refused 'district_code = '310115' OR holds(high_tech)' while
    # the policy granted every other district's high-tech enterprises (QA). Each district
    # is probed a second time holding every qualification: throughout, and recognised in
    # each year a rule is likely to name.
    held = {
        f.name: [
            ["1900-01-01", "2100-12-31"],
            *([f"{y}-01-01", f"{y}-12-31"] for y in range(p.data_year - 20, p.data_year + 2)),
        ]
        for f in load_dictionary().fields
        if f.type == "qualification"
    }
    probes = [(code, extra) for code in codes for extra in ({}, held)]
    try:
        profiles = [
            profile_from_case({FIELD: code, **extra}, data_year=p.data_year, seq=seq)
            for seq, (code, extra) in enumerate(probes, start=1)
        ]
        # A criterion that a known value makes true ('... OR revenue IS NOT NULL') is FALSE
        # for a probe that knows nothing (QA): lint's edge enterprises (every field the
        # policy reads at its edges) are probed in each other district too.
        from huiqi.engine.edges import edge_profiles

        edges = edge_profiles(cp.requirements)
        for code in codes:
            # Their own codes and links dropped: every probe is one enterprise of the run,
            # and a contract function with no data is unknown, which reaches anyway.
            for edge in edges:
                probes.append((code, {}))
                profiles.append(
                    dataclasses.replace(
                        edge,
                        uscc=make(f"91310115MA2R{len(profiles):05d}"),
                        static={**edge.static, FIELD: code},
                        relations=[],
                        contracts=[],
                    )
                )
        results = engine.evaluate(profiles, [cp])
    except HuiqiError:
        return []  # a rule the probes cannot run: its own error is reported elsewhere
    # By USCC, not by position: a backend need not answer in the order it was asked.
    district_of = {prof.uscc: code for prof, (code, _) in zip(profiles, probes, strict=True)}
    reached = {district_of[got.uscc] for got in results if got.status != "not_eligible"}
    return [code for code in codes if code in reached]


def reach_message(region: str, reached: list[str]) -> str:
    """What is wrong with a district policy that reaches ``reached``, and what to do."""
    return (
        f"a district policy of {region} would also deliver to enterprises registered in"
        f" other districts ({', '.join(reached)}): no criterion limits it to its own; add a"
        f" scope criterion such as {FIELD} = '{region}', or make it a city policy"
    )


def district_reach_errors(
    pairs: Sequence[tuple[CompiledPolicy, Marks]], *, backend: Backend | None = None
) -> list[PolicyError]:
    """An error at ``region`` for each district policy that reaches other districts."""
    errors = []
    for cp, marks in pairs:
        reached = districts_reached(cp, backend=backend)
        if not reached:
            continue
        at = locate(marks, ("region",), cp.filename or cp.policy.id)
        errors.append(
            PolicyError(
                reach_message(cp.policy.region, reached),
                location=Location(at.file, at.line, at.column, "region"),
            )
        )
    return errors
