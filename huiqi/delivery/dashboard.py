"""The dashboards' totals: delivery records and grants, and their money, grouped by
policy, status, district, department and month, read from the maintained counters
(:mod:`huiqi.delivery.counts`), never from the ledger's millions of rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from huiqi.accounts.access import AccessDenied, Actor, require_role
from huiqi.accounts.roles import POLICY_ROLES, Role
from huiqi.delivery.counts import KINDS, counters
from huiqi.delivery.models import PolicyVersion
from huiqi.delivery.scopes import policy_scope_clauses

Dimension = Literal["policy", "status", "district", "department", "month"]
DIMENSIONS: tuple[Dimension, ...] = ("policy", "status", "district", "department", "month")
_READERS = (*sorted(POLICY_ROLES), Role.FINANCE_OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class TotalRow:
    """One line of a dashboard total: the grouping's values (None where not grouped by)."""

    policy_id: str | None
    status: str | None
    district: str | None
    department: str | None
    month: str | None
    n: int
    amount_fen: int


def totals(
    session: Session,
    *,
    actor: Actor,
    kind: str = "grant",
    by: Sequence[Dimension] = ("policy", "status"),
    policy_id: str | None = None,
    status: str | None = None,
    district: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
) -> list[TotalRow]:
    """How many records or grants (``kind``) and how much money, grouped ``by`` any of
    policy, status, district, department and month ("YYYY-MM"), over the policies the
    actor reads (policy officers their scope; finance officers and admins all).

    Reads the maintained counters, never the ledger's rows, so its cost depends on the
    number of counters (policy versions × statuses × districts × months), not on the
    millions of records they count."""
    require_role(actor, "read the dashboards' totals", *_READERS)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {unknown[0]!r}: choose from {', '.join(DIMENSIONS)}")
    rows_of = counters(kind)
    columns = {
        "policy": PolicyVersion.policy_id,
        "status": rows_of.c.status,
        "district": rows_of.c.district,
        "department": PolicyVersion.department,
        "month": rows_of.c.month,
    }
    keys = [columns[d].label(d) for d in DIMENSIONS if d in by]
    query = (
        select(
            *keys,
            func.sum(rows_of.c.n).label("n"),
            func.sum(rows_of.c.amount_fen).label("amount_fen"),
        )
        .join_from(rows_of, PolicyVersion, PolicyVersion.id == rows_of.c.policy_version_id)
        .group_by(*keys)
        .having(func.sum(rows_of.c.n) != 0)
        .order_by(*keys)
    )
    if not actor.has(Role.FINANCE_OFFICER, Role.ADMIN):
        clauses = policy_scope_clauses(actor, tuple(POLICY_ROLES))
        if clauses is not None:
            if not clauses:
                raise AccessDenied(f"{actor.describe()} reads no policy's totals")
            query = query.where(or_(*clauses))
    for column, value in (
        (PolicyVersion.policy_id, policy_id),
        (rows_of.c.status, status),
        (rows_of.c.district, district),
    ):
        if value is not None:
            query = query.where(column == value)
    if month_from is not None:
        query = query.where(rows_of.c.month >= month_from)
    if month_to is not None:
        query = query.where(rows_of.c.month <= month_to)
    rows = []
    for row in session.execute(query).mappings():
        values = {("policy_id" if d == "policy" else d): row.get(d) for d in DIMENSIONS}
        rows.append(TotalRow(**values, n=int(row["n"]), amount_fen=int(row["amount_fen"])))
    return rows
