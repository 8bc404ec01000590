"""A review flag's conditions as listings show them: the stored form completed from the
flagged record's policy version (``lost_criteria.Conditions.complete``), or the newer
version that judged it where the conditions name one (``version``: ``earlier_flags``).

A flagged record stores only what its version cannot give back (criterion ids and states,
the enterprise's values); the labels, rules, field descriptions and gaps are the
version's, compiled once per version (cached by its text's hash) when a listing shows a
flag in that form. Rows without a flag, or with conditions stored whole (flags raised
before the stored form), are returned as they are, and nothing is compiled for them.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select

from huiqi.delivery.rows import RecordRow
from huiqi.delivery.tables import policy_versions as versions

if TYPE_CHECKING:
    from huiqi.db.engine import Reads
    from huiqi.delivery.lost_criteria import Conditions


def complete_conditions(session: Reads, rows: list[RecordRow]) -> list[RecordRow]:
    """``rows`` with each flag's stored conditions completed from its version."""
    wanted = {(r.policy_id, _judged_by(r)) for r in rows if r.conditions_incomplete}
    if not wanted:
        return rows
    v = versions.c
    found = session.execute(
        select(v.policy_id, v.version, v.content_hash, v.source_yaml).where(
            v.policy_id.in_(sorted({p for p, _ in wanted}))
        )
    ).all()
    by_version = {(p, n): _conditions(h, p, n, text) for p, n, h, text in found if (p, n) in wanted}
    out = []
    for r in rows:
        conditions = by_version.get((r.policy_id, _judged_by(r)))
        if conditions is not None and r.review_criteria is not None and r.conditions_incomplete:
            r = dataclasses.replace(r, review_criteria=conditions.complete(r.review_criteria))
        out.append(r)
    return out


def _judged_by(r: RecordRow) -> int:
    """The version whose criteria the flag's conditions are: the record's own, or the newer
    version that found its enterprise no longer eligible (``earlier_flags``)."""
    named = (r.review_criteria or {}).get("version")
    return named if isinstance(named, int) else r.version


@lru_cache(maxsize=256)
def _conditions(content_hash: str, policy_id: str, version: int, text: str) -> Conditions:
    """The conditions of a version (compiled and its thresholds parsed once per process)."""
    from huiqi.delivery.lost_criteria import Conditions
    from huiqi.delivery.models import PolicyVersion
    from huiqi.matching.published import compiled_version

    pv = PolicyVersion(
        policy_id=policy_id, version=version, content_hash=content_hash, source_yaml=text
    )
    return Conditions(compiled_version(pv))
