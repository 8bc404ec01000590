"""Whatever an enterprise types into a request (category, text, policy, grant, stars,
keywords), it is filed or refused with a DeskError (or NotFoundError) saying why: never
another exception, never a half-written request."""

from __future__ import annotations

from typing import Any

from desk_helpers import FINANCE_BUREAU, A, desk_officer, enterprise, filed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.db.engine import transaction
from huiqi.desk.errors import DeskError
from huiqi.desk.handling import reply
from huiqi.desk.models import DeskRequest
from huiqi.desk.rating import rate
from huiqi.desk.routing import RoutingError, check_keywords, segment
from huiqi.errors import HuiqiError

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=50)
)


@SETTINGS
@given(
    category=st.one_of(st.sampled_from(["policy", "funding", "other"]), anything),
    text=st.one_of(st.text(max_size=300), anything),
    policy_id=st.one_of(st.none(), st.text(max_size=20)),
    grant_id=st.one_of(st.none(), st.integers(min_value=-5, max_value=5)),
)
def test_filing_anything_files_or_refuses_cleanly(
    sessions: sessionmaker[Session], category: Any, text: Any, policy_id: Any, grant_id: Any
) -> None:
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(DeskRequest))
    try:
        req = filed(sessions, category=category, text=text, policy_id=policy_id, grant_id=grant_id)
    except HuiqiError as exc:
        assert str(exc)
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(DeskRequest)) == before
    else:
        assert req.text == text.strip() and req.department


@SETTINGS
@given(stars=anything, comment=anything)
def test_rating_anything_rates_or_refuses_cleanly(
    sessions: sessionmaker[Session], stars: Any, comment: Any
) -> None:
    req = filed(sessions)
    with transaction(sessions) as s:
        reply(s, actor=desk_officer(FINANCE_BUREAU), request_id=req.id, text="已办理")
    try:
        with transaction(sessions) as s:
            done = rate(s, actor=enterprise(A), request_id=req.id, stars=stars, comment=comment)
    except DeskError as exc:
        assert "stars" in str(exc) or "comment" in str(exc)
    else:
        assert done.status == ("reopened" if stars <= 2 else "closed")


@given(st.one_of(st.text(max_size=200), st.lists(st.text(max_size=25), max_size=60), anything))
def test_keywords_are_words_or_refused(raw: Any) -> None:
    try:
        words = check_keywords(raw)
    except RoutingError:
        return
    assert all(w and len(w) <= 20 and not any(c.isspace() for c in w) for w in words)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_segmenting_any_text_gives_words_of_it(text: str) -> None:
    for word in segment(text, ("研发",)):
        assert word in text
