"""A claim reserves the policy's budget last, so the shared budget row is locked briefly.

Every claim of a policy updates that policy's one budget row, and the lock lasts until
commit: what a claim writes after it makes every other claimer of the policy wait.
"""

from __future__ import annotations

import factories as make
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import claims
from huiqi.delivery.models import Entitlement, Grant, Notification


def _offer(sessions: sessionmaker[Session], budget_fen: int, computed_fen: int) -> int:
    with transaction(sessions) as s:
        pv = make.policy_version(s, budget_fen=budget_fen)
        ent = make.entitlement(s, pv, status="offered", computed_fen=computed_fen)
        ent.mode = "confirm"
        return ent.id


def test_only_the_audit_chain_follows_the_budget_reservation(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ent_id = _offer(sessions, budget_fen=10_000_00, computed_fen=100_00)
    with sessions() as s:
        code = s.get_one(Entitlement, ent_id).uscc
    seen: list[str] = []

    def log(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    event.listen(engine, "before_cursor_execute", log)
    try:
        result = claims.claim(sessions, actor=enterprise(code), entitlement_id=ent_id)
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert result.grant_id is not None
    budget_at = next(i for i, st in enumerate(seen) if st.startswith("UPDATE POLICY_VERSIONS"))
    after = [st for st in seen[budget_at + 1 :] if not st.startswith(("RELEASE", "COMMIT"))]
    # The chain head moves, the previous hash is read, the events go in: nothing else.
    assert after == ["UPDATE AUDIT_HEAD SET", "SELECT EVENTS.HASH FROM", "INSERT INTO EVENTS"], seen


def test_a_claim_the_budget_refuses_leaves_no_grant_and_no_granted_message(
    sessions: sessionmaker[Session],
) -> None:
    ent_id = _offer(sessions, budget_fen=50_00, computed_fen=100_00)
    with sessions() as s:
        code = s.get_one(Entitlement, ent_id).uscc
    result = claims.claim(sessions, actor=enterprise(code), entitlement_id=ent_id)
    assert result.grant_id is None and result.status == "budget_exhausted"
    with sessions() as s:
        assert s.scalar(select(Grant).where(Grant.entitlement_id == ent_id)) is None
        kinds = s.scalars(select(Notification.kind).where(Notification.uscc == code)).all()
        assert "granted" not in kinds and "budget_exhausted" in kinds
        ent = s.get_one(Entitlement, ent_id)
        assert ent.status == "budget_exhausted"
