"""The dashboard's headline indicators (huiqi.delivery.indicators) on SQLite and
PostgreSQL, after a delivery an officer can count by hand: two policies in force (one
免申即享, one 直达快享), six offers of which two are claimed and four expire, one grant paid;
scoped like the totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import helpers as h
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.testing import ADMIN, FINANCE, OFFICER, SCHEDULER, enterprise
from huiqi.db.engine import transaction
from huiqi.delivery import claims
from huiqi.delivery.disburse import export_batch
from huiqi.delivery.indicators import indicators
from huiqi.delivery.lifecycle import expire_offers
from huiqi.delivery.models import Entitlement, Grant
from huiqi.delivery.payments import import_payment_results
from huiqi.delivery.publish import deliver, publish_text


def test_the_indicators_count_what_the_ledger_holds(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_, _ = h.numbered_store(tmp_path / "data", 6)
    end = dt.date(2026, 6, 30)
    monkeypatch.setenv("HUIQI_TODAY", "2026-06-01")  # delivered inside the window
    # 6 enterprises with 1-3 insured (1 + 7i mod 3): 1, 2, 3, 1, 2, 3 → 12 people x 1,000 yuan.
    auto_text = h.policy_yaml("ind-auto", budget=20_000)
    auto, _ = publish_text(sessions, auto_text, "a.yaml", actor=OFFICER)
    deliver(settings_, sessions, auto.id, actor=OFFICER)
    offer_text = h.policy_yaml("ind-offer", delivery="confirm", valid_to=end)
    offer, _ = publish_text(sessions, offer_text, "o.yaml", actor=OFFICER)
    deliver(settings_, sessions, offer.id, actor=OFFICER)
    for i in (0, 1):
        claims.claim(
            sessions, actor=enterprise(h.uscc(i)), policy_id="ind-offer", uscc=h.uscc(i), today=end
        )
    assert expire_offers(sessions, actor=SCHEDULER, today=end + dt.timedelta(days=1)) == 4
    with transaction(sessions) as s:
        export_batch(s, out_dir=tmp_path / "out", actor=FINANCE)
    with sessions() as s:
        first = s.scalar(select(Grant.id).order_by(Grant.id).limit(1))
    results = tmp_path / "results.csv"
    results.write_text(f"grant_id,result,reason\n{first},paid,\n", encoding="utf-8")
    with transaction(sessions) as s:
        import_payment_results(s, results, actor=FINANCE)
        grant = s.get(Grant, first)
        assert grant is not None and grant.paid_at is not None
        made = s.scalar(
            select(Entitlement.created_at).where(Entitlement.id == grant.entitlement_id)
        )
        assert made is not None
        wait = Decimal((grant.paid_at - made).total_seconds()) / 86_400

    with sessions() as s:
        ind = indicators(s, actor=ADMIN)
    assert (ind.modes.policies, ind.modes.auto, ind.modes.confirm, ind.modes.apply) == (2, 1, 1, 0)
    assert ind.modes.share == Decimal("1.0000")
    # The day after the offer's window closes it is no longer in force (it was counted so
    # a year after its last day).
    monkeypatch.setenv("HUIQI_TODAY", (end + dt.timedelta(days=1)).isoformat())
    with sessions() as s:
        closed = indicators(s, actor=ADMIN).modes
    assert (closed.policies, closed.auto, closed.confirm) == (1, 1, 0)
    [budget] = ind.budgets
    assert (budget.policy_id, budget.budget_fen, budget.committed_fen) == (
        "ind-auto",
        2_000_000,
        1_200_000,
    )
    assert budget.used == Decimal("0.6000")
    [conversion] = ind.conversion
    assert (conversion.policy_id, conversion.claimed, conversion.waiting, conversion.expired) == (
        "ind-offer",
        2,
        0,
        4,
    )
    assert conversion.rate == Decimal("0.3333")
    # The page names the policy by its title, never its id (the catalogue's, in the page's
    # language; this one, of its newest version, for a policy the catalogue no longer lists).
    assert conversion.title_zh == "测试政策ind-offer"
    assert ind.time_to_money.payments == 1
    assert ind.time_to_money.median_days == ind.time_to_money.p90_days
    assert ind.time_to_money.median_days == wait.quantize(Decimal("0.1"))

    with sessions() as s:
        # A policy officer of another district reads none of these policies; an enterprise
        # and a role without the dashboard are refused.
        elsewhere = indicators(s, actor=Actor.of("o-104", "policy_reviewer=district:310104"))
        assert (elsewhere.modes.policies, elsewhere.budgets, elsewhere.conversion) == (0, [], [])
        assert elsewhere.time_to_money.payments == 0
        for refused in (enterprise(h.uscc(0)), SCHEDULER, Actor.of("desk", "desk_officer=*")):
            with pytest.raises(AccessDenied):
                indicators(s, actor=refused)
