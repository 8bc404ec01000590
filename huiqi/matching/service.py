"""Bulk matching and one-enterprise explanations, with access checks.

The engine is a library that checks nobody; these functions are the operations
users call. A whole-population run is for policy officers and data stewards; an
explanation is for the enterprise itself, the operator of its park, and policy
officers.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, in_policy_scope, require_role
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.config import Settings
from huiqi.engine import CompiledPolicy, MatchRun, PolicyTrace, explain, run_matching
from huiqi.engine.api import BULK_DEFAULT, bulk_backend
from huiqi.matching.district_scope import run_districts, scoped
from huiqi.matching.gaps import with_gaps
from huiqi.matching.nearmiss import policy_ref
from huiqi.matching.visibility import (
    acts_for_enterprise,
    city_wide,
    enterprise_district,
    reaches,
    require_officer_district,
)
from huiqi.profiles.uscc import validate


def match_population(
    settings: Settings,
    *,
    actor: Actor,
    policies: list[CompiledPolicy],
    snapshot_id: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    memory_limit: str | None = None,
    backend: str = BULK_DEFAULT,
    master: str | None = None,
    postgres_url: str | None = None,
) -> MatchRun:
    """Every policy × every enterprise of a snapshot (data stewards; a policy officer: only
    the policies its scope covers, ``_require_policies_in_scope``), on
    ``backend`` (Spark on ``master``, default local mode; PostgreSQL in ``postgres_url``,
    default ``HUIQI_POSTGRES_URL``). Writes the run's rows
    (``matches.parquet``) and an analysis file of views over them and the snapshot
    (``analysis.duckdb``, ``huiqi.matching.analysis``)."""
    require_role(actor, "match the whole population", *POLICY_ROLES, Role.DATA_STEWARD)
    _require_policies_in_scope(actor, policies, "match")
    # A district officer's run is over its district's enterprises (district_scope), and so
    # are the analysis file's views of the snapshot.
    districts = run_districts(actor, policies, POLICY_ROLES)
    policies = [scoped(actor, cp, POLICY_ROLES) for cp in policies]
    engine = bulk_backend(backend, memory_limit=memory_limit, master=master, url=postgres_url)
    run = run_matching(
        settings, policies, snapshot_id=snapshot_id, progress=progress, backend=engine
    )
    from huiqi.matching.analysis import write_analysis_file  # DuckDB only where a run ends

    write_analysis_file(settings, run.output_dir, run.snapshot_id, districts=districts)
    return run


def library_in_scope(actor: Actor, library: list[CompiledPolicy]) -> list[CompiledPolicy]:
    """The library policies a whole-population run by ``actor`` takes when it names no
    files: every one for a data steward or an officer of every policy (``*``); for an
    officer scoped to districts or departments, those its scope covers (possibly none),
    since it may run no other (:func:`_require_policies_in_scope`). Anyone else is
    refused, as :func:`match_population` refuses them."""
    require_role(actor, "match the whole population", *POLICY_ROLES, Role.DATA_STEWARD)
    if actor.has(Role.DATA_STEWARD):
        return library
    return [cp for cp in library if in_policy_scope(actor, policy_ref(cp), *POLICY_ROLES)]


def _require_policies_in_scope(actor: Actor, policies: list[CompiledPolicy], what: str) -> None:
    """A policy officer runs only the policies its scope covers over the population.

    A whole-population run tells, for every enterprise of the snapshot, whether it
    qualifies, for how much and what it misses: data about enterprises that only the
    officers of a policy need, and only for that policy. An officer scoped to a district
    (``district:310115``) therefore matches its district's policies, never the city's or
    another district's; what those report about enterprises elsewhere is that they are
    not whom the policy is for (a scope criterion is never a near miss). Data stewards,
    whose work is the data itself, run any policy."""
    if actor.has(Role.DATA_STEWARD):
        return
    outside = [cp for cp in policies if not in_policy_scope(actor, policy_ref(cp), *POLICY_ROLES)]
    if outside:
        names = ", ".join(cp.policy.id for cp in outside[:5])
        more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
        raise AccessDenied(
            f"{actor.describe()} may not {what} {names}{more} over the population: outside the"
            " policies its scope covers; name only your own policies' files"
            " (huiqi match --policies POLICY.yaml …), or run 'huiqi match' without"
            " --policies for the library policies your scope covers"
        )


def explain_enterprise(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    policies: list[CompiledPolicy],
    snapshot_id: int | None = None,
) -> list[PolicyTrace]:
    """Criterion by criterion, what one enterprise qualifies for and why, a near miss with
    the gap of its failing threshold (``gaps.with_gaps``). A policy officer
    (not acting for the enterprise) is shown the policies its scope covers, and refused
    when none of ``policies`` is."""
    code = validate(uscc.strip().upper(), prefixes=None)
    if not acts_for_enterprise(settings, session, actor, code, snapshot_id):
        if not actor.has(*POLICY_ROLES):
            raise AccessDenied(
                f"{actor.describe()} may not see {code}'s data; allowed: the enterprise itself,"
                " its park operator, policy officers (for the policies in their scope)"
            )
        what = "explain this enterprise's eligibility"
        require_officer_district(settings, session, actor, code, what, snapshot_id)
        covered = [cp for cp in policies if in_policy_scope(actor, policy_ref(cp), *POLICY_ROLES)]
        if policies and not covered:
            names = ", ".join(cp.policy.id for cp in policies[:3])
            raise AccessDenied(
                f"{actor.describe()} may not explain {names}: outside the policies its scope covers"
            )
        if covered and not city_wide(actor):
            # A department's officer reads the enterprises its department's policies are
            # about (regression: a Jiading department's reviewer read a Minhang enterprise's
            # tax figures through a Jiading policy; a district officer was refused).
            district = enterprise_district(settings, session, code, snapshot_id)
            covered = [cp for cp in covered if reaches(cp.policy.level, cp.policy.region, district)]
            if not covered:
                where = (
                    f"is registered in district {district},"
                    if district
                    else "has no district recorded, so it is"
                )
                raise AccessDenied(
                    f"{actor.describe()} may not {what}: enterprise {code} {where} outside"
                    " the region of the policies its scope covers; a city-wide officer may"
                )
        policies = covered
    # A near miss by a figure says by how much (the failing criterion's ``gap``).
    return with_gaps(policies, explain(settings, code, policies, snapshot_id=snapshot_id))
