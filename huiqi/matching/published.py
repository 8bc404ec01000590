"""The policies in force: the ledger's published versions, or the library when none is.

The calculator, the near misses and the simulation's comparison all evaluate "every
published policy". What is published is what the ledger froze (``policy_versions``:
the latest version of each policy), compiled again from its frozen text; a data
directory with no ledger yet (a fresh demo, the tests) falls back to the policy library
shipped with huiqi. Compiling 37 policies takes about a second, so compiled versions
are kept by content hash: the same frozen text always compiles to the same policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import clock
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.statuses import VersionStatus
from huiqi.delivery.versions import compile_version
from huiqi.engine import CompiledPolicy, compile_library
from huiqi.policies.loader import load_library


def latest_published(session: Session, policy_id: str | None = None) -> list[PolicyVersion]:
    """The latest published version of each policy (or of ``policy_id``), by policy id."""
    newest = (
        select(PolicyVersion.policy_id, func.max(PolicyVersion.version).label("v"))
        .where(PolicyVersion.status == VersionStatus.PUBLISHED)
        .group_by(PolicyVersion.policy_id)
    )
    if policy_id is not None:
        newest = newest.where(PolicyVersion.policy_id == policy_id)
    sub = newest.subquery()
    query = (
        select(PolicyVersion)
        .join(
            sub, (PolicyVersion.policy_id == sub.c.policy_id) & (PolicyVersion.version == sub.c.v)
        )
        .order_by(PolicyVersion.policy_id)
    )
    return list(session.scalars(query))


@lru_cache(maxsize=2048)
def _compiled(content_hash: str, policy_id: str, version: int, text: str) -> CompiledPolicy:
    pv = PolicyVersion(
        policy_id=policy_id, version=version, content_hash=content_hash, source_yaml=text
    )
    return compile_version(pv)


def compiled_version(pv: PolicyVersion) -> CompiledPolicy:
    """A published version compiled from its frozen text (hash checked), cached by hash."""
    return _compiled(pv.content_hash, pv.policy_id, pv.version, pv.source_yaml)


@lru_cache(maxsize=1)
def library_policies() -> tuple[CompiledPolicy, ...]:
    """The policy library shipped with huiqi, compiled once per process."""
    return tuple(compile_library(load_library()).compiled)


def policies_in_force(session: Session | None) -> Sequence[CompiledPolicy]:
    """Every published policy (latest versions), or the library when the ledger has none,
    less those whose window has closed (``valid_to`` before today, :mod:`huiqi.clock`):
    nobody can receive them any more, so neither the calculator nor "almost eligible"
    offers them. One that opens later is kept: it can be prepared for."""
    versions = latest_published(session) if session is not None else []
    today = clock.today()
    if not versions:
        return [cp for cp in library_policies() if cp.policy.valid_to >= today]
    return [compiled_version(pv) for pv in versions if pv.valid_to >= today]
