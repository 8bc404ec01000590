"""Ratings: once per grant or decided record per enterprise (the database enforces it),
an audit event each, per-policy aggregates for officers, refusals by role and scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import entitlement, grant, policy_version
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import FINANCE, enterprise, officer, park_operator
from huiqi.db.engine import transaction
from huiqi.delivery.feedback_models import Rating
from huiqi.delivery.models import DirectoryEntry, Event
from huiqi.delivery.ratings import (
    RatingError,
    check_comment,
    check_stars,
    list_ratings,
    rate,
    rating_summary,
)
from huiqi.profiles.uscc import make

A, B = make("91310115MA1000001"), make("91310104MA1000002")


def _seed(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as s:
        pudong = policy_version(s, policy_id="pd-award", region="310115")
        xuhui = policy_version(s, policy_id="xh-award", region="310104")
        ids = {
            "grant_a": grant(s, pudong, code=A).id,
            "grant_a2": grant(s, xuhui, code=A).id,
            "grant_b": grant(s, pudong, code=B).id,
            "provisional_a": grant(
                s,
                policy_version(s, policy_id="xh-pool", region="310104"),
                code=A,
                status="provisional",
            ).id,
            "rejected_a": entitlement(
                s,
                policy_version(s, policy_id="xh-award", version=3, region="310104"),
                code=A,
                status="rejected",
            ).id,
            "offered_a": entitlement(
                s, policy_version(s, policy_id="pd-offer"), code=A, status="offered"
            ).id,
        }
        s.add(
            DirectoryEntry(uscc=A, name="甲", district_code="310115", park="园区甲", snapshot_id=1)
        )
        return ids


def test_rate_once_with_an_audit_event(sessions: sessionmaker[Session]) -> None:
    ids = _seed(sessions)
    with transaction(sessions) as s:
        row = rate(s, actor=enterprise(A), stars=4, comment="  快，清楚  ", grant_id=ids["grant_a"])
    assert (row.stars, row.comment, row.policy_id, row.uscc) == (4, "快，清楚", "pd-award", A)
    with pytest.raises(RatingError, match="already been rated"), transaction(sessions) as s:
        rate(s, actor=park_operator("园区甲"), stars=1, grant_id=ids["grant_a"])
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Rating)) == 1
        events = s.scalars(select(Event).where(Event.kind == "rate")).all()
        assert [(e.uscc, e.entity) for e in events] == [(A, f"grant:{ids['grant_a']}")]


def test_the_database_refuses_a_second_rating(sessions: sessionmaker[Session]) -> None:
    """Even written around the service function, the unique constraint holds."""
    ids = _seed(sessions)
    with transaction(sessions) as s:
        rate(s, actor=enterprise(A), stars=5, grant_id=ids["grant_a"])
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        pv = s.scalar(select(Rating.policy_version_id))
        s.add(Rating(uscc=A, policy_version_id=pv, grant_id=ids["grant_a"], stars=2, rated_by="x"))
        s.flush()


def test_a_decision_without_a_grant_can_be_rated(sessions: sessionmaker[Session]) -> None:
    ids = _seed(sessions)
    with transaction(sessions) as s:
        row = rate(s, actor=enterprise(A), stars=2, entitlement_id=ids["rejected_a"])
    assert row.entitlement_id == ids["rejected_a"] and row.grant_id is None


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ({"entitlement_id": "offered_a"}, "once decided"),
        ({"grant_id": "provisional_a"}, "once it is granted"),
        ({}, "either a grant"),
        ({"grant_id": "grant_a", "entitlement_id": "rejected_a"}, "either a grant"),
    ],
)
def test_nothing_undecided_is_rated(
    sessions: sessionmaker[Session], what: dict[str, str], message: str
) -> None:
    ids = _seed(sessions)
    with pytest.raises(RatingError, match=message), transaction(sessions) as s:
        rate(s, actor=enterprise(A), stars=3, **{k: ids[v] for k, v in what.items()})


def test_only_the_enterprise_or_its_park_rates(sessions: sessionmaker[Session]) -> None:
    ids = _seed(sessions)
    for actor in (enterprise(B), park_operator("园区乙"), officer("*"), FINANCE):
        with pytest.raises(AccessDenied), transaction(sessions) as s:
            rate(s, actor=actor, stars=3, grant_id=ids["grant_a"])


def test_listing_and_the_dashboard_are_cut_to_scope(sessions: sessionmaker[Session]) -> None:
    ids = _seed(sessions)
    with transaction(sessions) as s:
        rate(s, actor=enterprise(A), stars=5, grant_id=ids["grant_a"])
        rate(s, actor=enterprise(A), stars=2, grant_id=ids["grant_a2"])
        rate(s, actor=enterprise(B), stars=4, grant_id=ids["grant_b"])
    with sessions() as s:
        assert {r.uscc for r in list_ratings(s, actor=enterprise(A))} == {A}
        assert len(list_ratings(s, actor=park_operator("园区甲"))) == 2
        pudong = list_ratings(s, actor=officer("district:310115"))
        assert {r.policy_id for r in pudong} == {"pd-award"} and len(pudong) == 2
        with pytest.raises(AccessDenied):
            list_ratings(s, actor=enterprise(B), uscc=A)
        with pytest.raises(AccessDenied):
            list_ratings(s, actor=FINANCE)
        summary = {r.policy_id: r for r in rating_summary(s, actor=officer("*"))}
        assert summary["pd-award"].ratings == 2
        assert summary["pd-award"].average == Decimal("4.50")
        assert summary["pd-award"].by_stars == (0, 0, 0, 1, 1)
        scoped = rating_summary(s, actor=officer("district:310104"))
        assert [r.policy_id for r in scoped] == ["xh-award"]
        for actor in (enterprise(A), park_operator("园区甲"), FINANCE):
            with pytest.raises(AccessDenied):
                rating_summary(s, actor=actor)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(), st.booleans(), st.floats(), st.text(max_size=3), st.none()))
def test_stars_are_one_to_five_or_refused(value: object) -> None:
    try:
        stars = check_stars(value)
    except RatingError as exc:
        assert "1 to 5" in str(exc)
    else:
        assert isinstance(stars, int) and not isinstance(stars, bool) and 1 <= stars <= 5


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=2100), st.integers(), st.none(), st.binary(max_size=5)))
def test_comments_are_bounded_text_or_refused(value: object) -> None:
    try:
        text = check_comment(value)
    except RatingError:
        return
    assert text is None or (0 < len(text) <= 2000 and text == text.strip())
