"""What an officer scoped to a district sees of the population: its district's enterprises.

A simulation or a bulk match tells, for every enterprise of the snapshot, whether it
qualifies, for how much and what it misses; a district officer (``district:310115``) acts
for the enterprises of its district and needs no more. So when every grant by which an
actor may run a policy is a district scope, the policy is run with one more criterion,
``officer_district``: ``district_code`` is one of those districts, marked as a scope
criterion (whom the policy is for), which is never a near miss. The enterprises
elsewhere then count as not eligible, and no figure, sample USCC, near miss or breakdown
about them is reported. An officer with a city-wide or department scope, and a data
steward, see the whole population. The draft's own text and hash are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, policy_in_scope
from huiqi.engine import CompiledPolicy, compile_policy
from huiqi.policies.model import Criterion, Policy, Text

DISTRICT = re.compile(r"^district:(\d{6})$")
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
    districts = [m.group(1) for s in covering if s and (m := DISTRICT.match(s))]
    if not covering or len(districts) < len(covering):
        return None
    return sorted(set(districts))


def within(policy: Policy, districts: list[str]) -> Policy:
    """``policy`` with the criterion that keeps it to ``districts``' enterprises."""
    expr = " OR ".join(f"district_code = '{d}'" for d in districts if d.isdigit())
    criterion = Criterion(
        id=CRITERION_ID,
        label=Text(zh="在您所辖的区内", en="In the district you act for"),
        expr=expr,
        scope=True,
    )
    return policy.model_copy(update={"criteria": [*policy.criteria, criterion]})


def scoped(actor: Actor, cp: CompiledPolicy, roles: Collection[Role]) -> CompiledPolicy:
    """``cp`` as the actor may run it over the population (itself when unrestricted)."""
    districts = officer_districts(actor, cp.policy, roles)
    if districts is None:
        return cp
    return compile_policy(
        within(cp.policy, districts), filename=cp.filename, source_hash=cp.source_hash
    )
