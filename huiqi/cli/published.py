"""Find a published policy version in the operational database, for ``huiqi explain``.

Reads only: the frozen text of a ``PolicyVersion`` (by policy id and version, or by
a prefix of its content hash, or the newest in force of each policy), checked against
its hash and compiled.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.publish import compile_version
from huiqi.delivery.statuses import VersionStatus
from huiqi.engine import CompiledPolicy
from huiqi.errors import ConfigError, NotFoundError

MIN_HASH_PREFIX = 6


def published_policy(
    factory: sessionmaker[Session],
    *,
    policy_id: str | None,
    version: int | None,
    hash_prefix: str | None,
) -> CompiledPolicy:
    """The compiled text of one published version (by id and version, or by hash prefix)."""
    with factory() as s:
        query = select(PolicyVersion)
        if hash_prefix is not None:
            prefix = hash_prefix.lower()
            if not re.fullmatch(rf"[0-9a-f]{{{MIN_HASH_PREFIX},64}}", prefix):
                raise ConfigError(
                    f"--hash takes at least {MIN_HASH_PREFIX} hexadecimal characters of a"
                    " published version's SHA-256 (as 'huiqi publish' prints it)"
                )
            query = query.where(PolicyVersion.content_hash.startswith(prefix))
        if policy_id is not None:
            query = query.where(PolicyVersion.policy_id == policy_id)
        if version is not None:
            query = query.where(PolicyVersion.version == version)
        found = list(s.scalars(query.order_by(PolicyVersion.id).limit(5)))
        wanted = f"hash {hash_prefix}" if hash_prefix is not None else f"{policy_id} v{version}"
        if not found:
            raise NotFoundError(
                f"no published policy version with {wanted}; 'huiqi versions' lists the"
                " published ones, with their versions and hashes"
            )
        if len(found) > 1:
            names = ", ".join(
                f"{pv.policy_id} v{pv.version} {pv.content_hash[:12]}" for pv in found
            )
            raise ConfigError(f"{wanted} matches several versions ({names}); give more of the hash")
        return compile_version(found[0])


def newest_published(factory: sessionmaker[Session]) -> list[CompiledPolicy]:
    """The newest published (not retired) version of each policy of this data directory,
    compiled from its frozen text, by policy id."""
    with factory() as s:
        newest = (
            select(PolicyVersion.policy_id, func.max(PolicyVersion.version).label("version"))
            .where(PolicyVersion.status == VersionStatus.PUBLISHED)
            .group_by(PolicyVersion.policy_id)
            .subquery()
        )
        found = s.scalars(
            select(PolicyVersion)
            .join(
                newest,
                (newest.c.policy_id == PolicyVersion.policy_id)
                & (newest.c.version == PolicyVersion.version),
            )
            .order_by(PolicyVersion.policy_id)
        ).all()
        return [compile_version(pv) for pv in found]
