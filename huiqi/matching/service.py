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
from huiqi.matching.nearmiss import policy_ref
from huiqi.matching.visibility import acts_for_enterprise
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
    """Every policy × every enterprise of a snapshot (policy officers, data stewards), on
    ``backend`` (Spark on ``master``, default local mode; PostgreSQL in ``postgres_url``,
    default ``HUIQI_POSTGRES_URL``). Writes the run's rows
    (``matches.parquet``) and an analysis file of views over them and the snapshot
    (``analysis.duckdb``, ``huiqi.matching.analysis``)."""
    require_role(actor, "match the whole population", *POLICY_ROLES, Role.DATA_STEWARD)
    engine = bulk_backend(backend, memory_limit=memory_limit, master=master, url=postgres_url)
    run = run_matching(
        settings, policies, snapshot_id=snapshot_id, progress=progress, backend=engine
    )
    from huiqi.matching.analysis import write_analysis_file  # DuckDB only where a run ends

    write_analysis_file(settings, run.output_dir, run.snapshot_id)
    return run


def explain_enterprise(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    policies: list[CompiledPolicy],
    snapshot_id: int | None = None,
) -> list[PolicyTrace]:
    """Criterion by criterion, what one enterprise qualifies for and why. A policy officer
    (not acting for the enterprise) is shown the policies its scope covers, and refused
    when none of ``policies`` is."""
    code = validate(uscc.strip().upper(), prefixes=None)
    if not acts_for_enterprise(settings, session, actor, code, snapshot_id):
        if not actor.has(*POLICY_ROLES):
            raise AccessDenied(
                f"{actor.describe()} may not see {code}'s data; allowed: the enterprise itself,"
                " its park operator, policy officers (for the policies in their scope)"
            )
        covered = [cp for cp in policies if in_policy_scope(actor, policy_ref(cp), *POLICY_ROLES)]
        if policies and not covered:
            names = ", ".join(cp.policy.id for cp in policies[:3])
            raise AccessDenied(
                f"{actor.describe()} may not explain {names}: outside the policies its scope covers"
            )
        policies = covered
    return explain(settings, code, policies, snapshot_id=snapshot_id)
