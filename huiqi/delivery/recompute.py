"""Recompute a grant's decision from its policy version and data snapshot.

A grant stores the version's content hash, the snapshot id and the explanation
that justified it. ``recompute`` recompiles the frozen policy text (checking the
hash), re-evaluates the enterprise on the frozen snapshot through the engine,
and compares status, computed amount and every criterion with what was stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, require_policy_scope
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.delivery.explanations import of_grant
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion
from huiqi.delivery.versions import compile_version, policy_ref
from huiqi.engine import STATUSES, snapshot_result_rows
from huiqi.errors import NotFoundError


@dataclass
class Recomputation:
    grant_id: int
    policy: str
    snapshot_id: int
    content_hash: str
    stored_status: str
    recomputed_status: str
    stored_fen: int | None
    recomputed_fen: int | None
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences


def recompute(
    settings: Settings, factory: sessionmaker[Session], grant_id: int, *, actor: Actor
) -> Recomputation:
    """Re-evaluate a grant from (policy hash, snapshot) and list every difference."""
    with factory() as s:
        grant = s.get(Grant, grant_id)
        if grant is None:
            raise NotFoundError(f"no grant {grant_id}")
        pv = s.get(PolicyVersion, grant.policy_version_id)
        ent = s.get(Entitlement, grant.entitlement_id)
        assert pv is not None and ent is not None
        require_policy_scope(
            actor,
            policy_ref(pv),
            "recompute grants",
            Role.POLICY_REVIEWER,
            also=(Role.FINANCE_OFFICER, Role.ADMIN),
        )
        cp = compile_version(pv)
        stored = of_grant(s, grant)
    _, rows = snapshot_result_rows(
        settings, cp, snapshot_id=grant.snapshot_id, statuses=STATUSES, usccs=[grant.uscc]
    )
    if not rows:
        raise NotFoundError(f"enterprise {grant.uscc} is not in snapshot {grant.snapshot_id}")
    row = rows[0]
    rec = Recomputation(
        grant_id=grant.id,
        policy=f"{pv.policy_id} v{pv.version}",
        snapshot_id=grant.snapshot_id,
        content_hash=pv.content_hash,
        stored_status=str(stored.get("status")),
        recomputed_status=row.status,
        stored_fen=ent.computed_fen,
        recomputed_fen=row.amount_fen,
    )
    if rec.stored_status != rec.recomputed_status:
        rec.differences.append(
            f"status: stored {rec.stored_status}, recomputed {rec.recomputed_status}"
        )
    if rec.stored_fen != rec.recomputed_fen:
        rec.differences.append(
            f"amount: stored {rec.stored_fen} fen, recomputed {rec.recomputed_fen} fen"
        )
    before = {c["id"]: c for c in stored.get("criteria", [])}
    for c in row.explanation["criteria"]:
        old = before.get(c["id"])
        if old is None or old["state"] != c["state"] or old["values"] != c["values"]:
            rec.differences.append(f"criterion {c['id']}: stored {old}, recomputed {c}")
    return rec
