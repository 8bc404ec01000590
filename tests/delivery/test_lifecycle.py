"""Offers expiring at scale, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import factories as make
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.testing import SCHEDULER
from huiqi.db.engine import transaction
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import Entitlement, Event


def test_more_offers_than_the_parameter_limit_expire(sessions: sessionmaker[Session]) -> None:
    """Regression: expiring chose the offers with a SELECT and changed them with
    ``UPDATE … WHERE id IN (<one parameter per offer>)``, which fails on PostgreSQL above
    65,535 offers (and would have overwritten an offer claimed between the two)."""
    n = 66_000
    end = dt.date(2026, 6, 30)
    with transaction(sessions) as s:
        pv = make.policy_version(s, delivery="confirm", valid_to=end)
        make.bulk_records(s, pv, n, status="offered", mode="confirm", expires_on=end)
        make.bulk_records(s, pv, 2, first=5_000_000, status="claimed", mode="confirm")
    assert expire_offers(sessions, actor=SCHEDULER, today=end) == 0
    assert expire_offers(sessions, actor=SCHEDULER, today=end + dt.timedelta(days=1)) == n
    with sessions() as s:
        statuses = dict(
            s.execute(select(Entitlement.status, func.count()).group_by(Entitlement.status)).all()
        )
        assert statuses == {"expired": n, "claimed": 2}
        assert s.scalar(select(func.count()).where(Event.kind == "expired")) == n
