"""The dashboard's figures: volume by category and department, on-time rate,
satisfaction and repeat requests, each read only over the reader's departments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from desk_helpers import (
    BEFORE_FESTIVAL,
    FINANCE_BUREAU,
    SCIENCE,
    A,
    B,
    desk_officer,
    filed,
    science_rule,
)
from desk_helpers import enterprise as ent
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.testing import ADMIN, OFFICER
from huiqi.db.engine import transaction
from huiqi.desk.categories import list_categories, set_category
from huiqi.desk.errors import DeskConflict, DeskError, RoutingError
from huiqi.desk.handling import reply
from huiqi.desk.rating import rate
from huiqi.desk.routing import add_rule, disable_rule, list_rules
from huiqi.desk.stats import desk_stats

CITY = Actor("centre", (RoleGrant(Role.DESK_HEAD, "*"),))


def test_figures_over_a_small_desk(sessions: sessionmaker[Session]) -> None:
    science_rule(sessions)
    one = filed(sessions)  # finance, due 27 Feb
    two = filed(sessions, now=BEFORE_FESTIVAL + dt.timedelta(days=20))  # a repeat within 90 days
    filed(sessions, actor=ent(B), uscc=B, text="研发费用加计扣除", category="policy")  # science
    finance = desk_officer(FINANCE_BUREAU)
    with transaction(sessions) as s:
        reply(s, actor=finance, request_id=one.id, text="已拨付", now=BEFORE_FESTIVAL)
        late = BEFORE_FESTIVAL + dt.timedelta(days=60)
        reply(s, actor=finance, request_id=two.id, text="已拨付", now=late)
    with transaction(sessions) as s:
        rate(s, actor=ent(A), request_id=one.id, stars=5)
        rate(s, actor=ent(A), request_id=two.id, stars=3)
    with sessions() as s:
        city = desk_stats(s, actor=CITY)
        mine = desk_stats(s, actor=desk_officer(SCIENCE))
        february = desk_stats(s, actor=CITY, until=dt.date(2026, 2, 28))
    assert city.requests == 3
    assert [(v.key, v.requests, v.open) for v in city.by_category] == [
        ("funding", 2, 0),
        ("policy", 1, 1),
    ]
    assert [(v.key, v.requests) for v in city.by_department] == [(SCIENCE, 1), (FINANCE_BUREAU, 2)]
    assert (city.answered, city.on_time, city.on_time_rate) == (2, 1, Decimal("0.5000"))
    assert (city.ratings, city.average_stars, city.by_stars) == (
        2,
        Decimal("4.00"),
        (0, 0, 1, 0, 1),
    )
    assert city.satisfied_rate == Decimal("0.5000")
    assert (city.repeat_requests, city.repeat_enterprises) == (1, 1)
    assert (mine.requests, mine.answered, mine.on_time_rate, mine.ratings) == (1, 0, None, 0)
    assert february.requests == 2


def test_statistics_are_for_desk_officers(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        for nobody in (OFFICER, ADMIN, ent(A)):
            with pytest.raises(AccessDenied):
                desk_stats(s, actor=nobody)
        with pytest.raises(DeskError, match="starts"):
            desk_stats(s, actor=CITY, since=dt.date(2026, 3, 1), until=dt.date(2026, 2, 1))


def test_admins_edit_categories_and_rules(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        row = set_category(
            s,
            actor=ADMIN,
            code="voucher",
            label_zh="算力券",
            label_en="Compute vouchers",
            department="市经济信息化委",
            ack_days=1,
            answer_days=3,
        )
        rule = add_rule(
            s, actor=ADMIN, department=SCIENCE, category="voucher", keywords="算力，模型"
        )
    assert row.answer_days == 3 and rule.keywords == ("算力", "模型")
    assert filed(sessions, category="voucher", text="算力券怎么兑付").department == SCIENCE
    with transaction(sessions) as s:
        disable_rule(s, actor=ADMIN, rule_id=rule.id)
    assert filed(sessions, category="voucher", text="算力券怎么兑付").department == "市经济信息化委"
    with sessions() as s:
        assert "voucher" in {c.code for c in list_categories(s)}
        assert [r.active for r in list_rules(s, actor=ADMIN)] == [False]
        with pytest.raises(AccessDenied):
            add_rule(s, actor=desk_officer(SCIENCE), department=SCIENCE, keywords="x")
        with pytest.raises(RoutingError, match="needs a category, keywords or both"):
            add_rule(s, actor=ADMIN, department=SCIENCE)
        with pytest.raises(RoutingError, match="at least the time to acknowledge"):
            set_category(
                s,
                actor=ADMIN,
                code="x",
                label_zh="x",
                label_en="x",
                department="d",
                ack_days=3,
                answer_days=1,
            )


def test_adding_the_same_rule_twice_adds_nothing(sessions: sessionmaker[Session]) -> None:
    """Regression (QA, README walk-through): 'huiqi desk route-add' run twice added a second,
    identical rule; disabling one left the other routing as before."""
    with transaction(sessions) as s:
        first = add_rule(s, actor=ADMIN, department=SCIENCE, keywords="算力 模型", priority=5)
    with transaction(sessions) as s, pytest.raises(DeskConflict) as err:
        add_rule(s, actor=ADMIN, department=SCIENCE, keywords="算力  模型", priority=5)
    assert str(err.value).startswith(f"rule {first.id} is this rule already")
    with transaction(sessions) as s:  # another priority, or the first disabled: a new rule
        assert add_rule(s, actor=ADMIN, department=SCIENCE, keywords="算力 模型", priority=6).id
        disable_rule(s, actor=ADMIN, rule_id=first.id)
        assert add_rule(s, actor=ADMIN, department=SCIENCE, keywords="算力 模型", priority=5).id
    with sessions() as s:
        assert len(list_rules(s, actor=ADMIN)) == 3
