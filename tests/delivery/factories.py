"""Small builders for ledger rows: a published version, a delivery record, a grant."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.db.bulk import bulk_insert
from huiqi.db.clock import utcnow
from huiqi.delivery.models import Entitlement, Grant, PolicyVersion, table_of

_seq = itertools.count(1)
Row = TypeVar("Row", PolicyVersion, Entitlement, Grant)


def uscc(n: int | None = None) -> str:
    """An 18-character code, unique per call unless ``n`` is given."""
    return f"91310000{next(_seq) if n is None else n:010d}"


def policy_version(session: Session, **overrides: Any) -> PolicyVersion:
    """A published version, unique per call; ``overrides`` set or replace any column."""
    n = next(_seq)
    values: dict[str, Any] = {
        "policy_id": f"test-policy-{n}",
        "version": 1,
        "content_hash": f"{n:064d}",
        "source_yaml": "id: test\n",
        "title_zh": f"测试政策 {n}",
        "delivery": "auto",
        "level": "district",
        "region": "310115",
        "valid_from": dt.date(2026, 1, 1),
        "valid_to": dt.date(2026, 12, 31),
        "benefit_period": "2026",
        "budget_fen": None,
        "budget_mode": "first_come",
        "committed_fen": 0,
        "published_by": "officer",
    }
    return _added(session, PolicyVersion(**{**values, **overrides}))


def entitlement(
    session: Session,
    pv: PolicyVersion,
    *,
    code: str | None = None,
    status: str = "granted",
    computed_fen: int = 100_00,
    name: str | None = None,
    **overrides: Any,
) -> Entitlement:
    """A delivery record of ``pv``; ``overrides`` set or replace any column (``mode``,
    ``explanation``, ``expires_on``...)."""
    values: dict[str, Any] = {
        "policy_version_id": pv.id,
        "uscc": code or uscc(),
        "benefit_period": pv.benefit_period,
        "mode": "auto",
        "match_status": "eligible",
        "status": status,
        "computed_fen": computed_fen,
        "snapshot_id": 1,
        "last_snapshot_id": 1,
        "explanation": {"name": name} if name is not None else {},
    }
    return _added(session, Entitlement(**{**values, **overrides}))


def grant(
    session: Session,
    pv: PolicyVersion,
    *,
    requested_fen: int = 100_00,
    amount_fen: int | None = None,
    status: str = "granted",
    name: str | None = None,
    code: str | None = None,
) -> Grant:
    """A grant with its delivery record (status ``pending_allocation`` when provisional)."""
    ent = entitlement(
        session,
        pv,
        code=code,
        status="pending_allocation" if status == "provisional" else "granted",
        computed_fen=requested_fen,
        name=name,
    )
    return grant_of(session, pv, ent, amount_fen=amount_fen, status=status)


def grant_of(
    session: Session,
    pv: PolicyVersion,
    ent: Entitlement,
    *,
    amount_fen: int | None = None,
    status: str = "granted",
) -> Grant:
    """The grant of ``pv``'s delivery record ``ent``: its computed amount unless
    ``amount_fen``, its explanation."""
    return _added(
        session,
        Grant(
            entitlement_id=ent.id,
            policy_version_id=pv.id,
            policy_id=pv.policy_id,
            uscc=ent.uscc,
            benefit_period=ent.benefit_period,
            requested_fen=ent.computed_fen,
            amount_fen=ent.computed_fen if amount_fen is None else amount_fen,
            status=status,
            snapshot_id=1,
            content_hash=pv.content_hash,
            explanation=dict(ent.explanation),
        ),
    )


def _added(session: Session, row: Row) -> Row:
    """``row``, added to the session and flushed (so it has its id)."""
    session.add(row)
    session.flush()
    return row


def bulk_records(
    session: Session,
    pv: PolicyVersion,
    n: int,
    first: int = 900_000,
    *,
    status: str = "granted",
    mode: str = "auto",
    expires_on: dt.date | None = None,
) -> list[tuple[int, str]]:
    """``n`` delivery records of ``pv`` in one status, inserted in bulk; their (id, USCC)."""
    now = utcnow()
    rows = [
        {
            "policy_version_id": pv.id,
            "uscc": uscc(first + i),
            "benefit_period": pv.benefit_period,
            "mode": mode,
            "match_status": "eligible",
            "status": status,
            "computed_fen": 1 + i,
            "snapshot_id": 1,
            "last_snapshot_id": 1,
            "explanation": {"name": f"企业{i}"},
            "expires_on": expires_on,
            "review_flag": False,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    bulk_insert(session, table_of(Entitlement), rows)
    query = select(Entitlement.id, Entitlement.uscc).where(Entitlement.policy_version_id == pv.id)
    return [(r[0], r[1]) for r in session.execute(query.order_by(Entitlement.id))]


def bulk_grants(
    session: Session, pv: PolicyVersion, n: int, first: int = 900_000, *, revision: int = 15
) -> list[Any]:
    """``n`` granted records and their grants for ``pv``, inserted in bulk (the disbursement
    tests and benchmark); returns the grants' rows as inserted. ``revision``: the ledger's
    migration, for a ledger older than 0015 (whose grants do not name their policy)."""
    now = utcnow()
    grant_rows = [
        {
            "entitlement_id": ent_id,
            "policy_version_id": pv.id,
            "policy_id": pv.policy_id,
            "uscc": code,
            "benefit_period": pv.benefit_period,
            "requested_fen": 1 + int(code[-6:]),
            "amount_fen": 1 + int(code[-6:]),
            "status": "granted",
            "snapshot_id": 1,
            "content_hash": pv.content_hash,
            "explanation": {"name": f"企业{code[-6:]}"},
            "created_at": now,
        }
        for ent_id, code in bulk_records(session, pv, n, first)
    ]
    if revision < 15:
        for row in grant_rows:
            del row["policy_id"]
    bulk_insert(session, table_of(Grant), grant_rows)
    return grant_rows
