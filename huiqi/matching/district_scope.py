"""What an officer scoped to a district sees of the population: its district's enterprises.

A simulation or a bulk match tells, for every enterprise of the snapshot, whether it
qualifies, for how much and what it misses; a district officer (``district:310115``) acts
for the enterprises of its district and needs no more. So when every grant by which an
actor may run a policy is a district scope, the policy is run with one more criterion,
``officer_district``: ``district_code`` is one of those districts, marked as a scope
criterion (whom the policy is for), which is never a near miss. The enterprises
elsewhere, and those with no district recorded (the criterion is false for them, not
unknown: they are no district's), then count as not eligible, and no figure, sample USCC, near miss or breakdown
about them is reported. An officer with a city-wide or department scope, and a data
steward, see the whole population. The draft's own text and hash are unchanged.
"""

from __future__ import annotations

from collections.abc import Collection

from huiqi.accounts.access import Actor
from huiqi.accounts.districts import DISTRICT, scoped_districts
from huiqi.accounts.roles import Role, policy_in_scope
from huiqi.engine import CompiledPolicy, compile_policy
from huiqi.policies.model import Criterion, Policy, Text

CRITERION_ID = "officer_district"


def officer_districts(actor: Actor, policy: Policy, roles: Collection[Role]) -> list[str] | None:
    """The districts the actor runs ``policy`` for, when every grant of ``roles`` covering
    it is a district scope; None when one covers more (the whole population)."""
    if actor.has(Role.DATA_STEWARD):
        return None
    where = {"level": policy.level, "region": policy.region, "department": policy.department.zh}
    covering = [
        g.scope for g in actor.grants if g.role in roles and policy_in_scope(g.scope, **where)
    ]
    return scoped_districts(covering)


def within(policy: Policy, districts: list[str]) -> Policy:
    """``policy`` with the criterion that keeps it to ``districts``' enterprises."""
    # COALESCE: an enterprise with no district code is outside every district. Left
    # unknown, it would be kept as "needs data" in every district officer's run.
    expr = " OR ".join(f"COALESCE(district_code = '{d}', FALSE)" for d in districts if d.isdigit())
    criterion = Criterion(
        id=CRITERION_ID,
        label=Text(zh="在您所辖的区内", en="In the district you act for"),
        expr=expr,
        scope=True,
    )
    return policy.model_copy(update={"criteria": [*policy.criteria, criterion]})


def run_districts(
    actor: Actor, policies: Collection[CompiledPolicy], roles: Collection[Role]
) -> list[str] | None:
    """The districts a run of ``policies`` by ``actor`` covers, for what the run writes
    beside its rows (the analysis file's views of the snapshot): None (everyone) when one
    of the policies is run over more than districts. With no policies, what the actor's
    grants of ``roles`` cover (an export of any run)."""
    if actor.has(Role.DATA_STEWARD):
        return None
    if not policies:  # what the actor's grants cover
        scopes = [g.scope for g in actor.grants if g.role in roles]
        granted = [m.group(1) for s in scopes if s and (m := DISTRICT.match(s))]
        return sorted(set(granted)) if scopes and len(granted) == len(scopes) else None
    found: set[str] = set()
    for cp in policies:
        districts = officer_districts(actor, cp.policy, roles)
        if districts is None:
            return None
        found.update(districts)
    return sorted(found)


def scoped(actor: Actor, cp: CompiledPolicy, roles: Collection[Role]) -> CompiledPolicy:
    """``cp`` as the actor may run it over the population (itself when unrestricted)."""
    districts = officer_districts(actor, cp.policy, roles)
    if districts is None:
        return cp
    return compile_policy(
        within(cp.policy, districts), filename=cp.filename, source_hash=cp.source_hash
    )
