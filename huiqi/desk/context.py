"""What an officer sees beside a request about a policy: the enterprise's delivery records
of that policy and the policy explained for it (criteria met or not, with each value's
source, and the amount's computation), from the same evaluation as everywhere else.

Only an officer who handles the request (or the enterprise and its park, who may read
it) gets them, and only for the enterprise and the policy the request names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.config import Settings
from huiqi.delivery import service as ledger
from huiqi.delivery.models import Entitlement, PolicyVersion
from huiqi.delivery.versions import compile_version
from huiqi.desk.queries import load
from huiqi.desk.visibility import require_reads
from huiqi.errors import HuiqiError


@dataclass(frozen=True)
class PolicyContext:
    policy_id: str
    title_zh: str
    records: list[tuple[int, int, str, int | None]]  # (record id, version, status, amount fen)
    explanation: dict[str, Any] | None  # the trace's JSON form
    problem: str | None  # why there is no explanation (no data, not in the snapshot)


def policy_context(
    settings: Settings, session: Session, *, actor: Actor, request_id: int
) -> PolicyContext | None:
    """The linked policy's records and explanation for the request's enterprise (None when
    the request names no policy)."""
    from huiqi.matching.service import explain  # the engine: loaded only when asked

    req = load(session, request_id)
    require_reads(session, actor, req)
    if not req.policy_id:
        return None
    pv = ledger.latest_version(session, req.policy_id)
    records = [
        (r.id, v, r.status, r.computed_fen)
        for r, v in session.execute(
            select(Entitlement, PolicyVersion.version)
            .join(PolicyVersion, PolicyVersion.id == Entitlement.policy_version_id)
            .where(PolicyVersion.policy_id == req.policy_id, Entitlement.uscc == req.uscc)
            .order_by(Entitlement.id)
        ).all()
    ]
    try:
        [trace] = explain(settings, req.uscc, [compile_version(pv)])
        explanation, problem = trace.explanation, None
    except HuiqiError as exc:  # no profile data, or the enterprise is not in the snapshot
        explanation, problem = None, str(exc)
    return PolicyContext(pv.policy_id, pv.title_zh, records, explanation, problem)
