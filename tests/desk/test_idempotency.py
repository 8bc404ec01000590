"""A request filed again with the same idempotency key is the first one, filed once.

QA: sending the portal's request form twice (a double click, the browser resending the
POST) filed two requests, each routed into a department's queue with its deadlines. A key
kept with the request, unique per account in the database (migration 0021), makes the
repeat answer the first request and file nothing, even when the two race."""

from __future__ import annotations

import pytest
from desk_helpers import A, B, enterprise, filed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.desk import filing
from huiqi.desk.errors import DeskError
from huiqi.desk.models import DeskRequest, DeskStep


def _count(sessions: sessionmaker[Session], key: str | None = None) -> int:
    query = select(func.count()).select_from(DeskRequest)
    if key is not None:
        query = query.where(DeskRequest.idempotency_key == key)
    with sessions() as s:
        return int(s.scalar(query) or 0)


def test_a_request_sent_twice_with_one_key_is_filed_once(
    sessions: sessionmaker[Session],
) -> None:
    first = filed(sessions, idempotency_key="k-1")
    again = filed(sessions, idempotency_key="k-1", text="another text, sent again")
    assert again.id == first.id and again.text == first.text
    assert _count(sessions) == 1
    with sessions() as s:  # one history row and nothing else written by the repeat
        assert s.scalar(select(func.count()).select_from(DeskStep)) == 1
    # A new key, or no key, files a new request; so does another account with the same key.
    assert filed(sessions, idempotency_key="k-2").id != first.id
    assert filed(sessions).id not in (first.id,)
    other = filed(sessions, actor=enterprise(B), uscc=B, idempotency_key="k-1")
    assert other.id != first.id and other.uscc == B
    assert _count(sessions) == 4


@pytest.mark.parametrize("key", ["", None])
def test_an_empty_key_is_no_key(sessions: sessionmaker[Session], key: str | None) -> None:
    assert filed(sessions, idempotency_key=key).id != filed(sessions, idempotency_key=key).id


@pytest.mark.parametrize("key", ["x" * 65, "has space", "中文", "tab\t", 12])
def test_a_malformed_key_is_refused_and_files_nothing(
    sessions: sessionmaker[Session], key: object
) -> None:
    with pytest.raises(DeskError, match="idempotency key is 1 to 64"):
        filed(sessions, idempotency_key=key)
    assert _count(sessions) == 0


def test_the_database_refuses_a_second_request_with_the_key(
    sessions: sessionmaker[Session],
) -> None:
    first = filed(sessions, idempotency_key="same")
    with pytest.raises(IntegrityError), transaction(sessions) as s:
        row = s.get(DeskRequest, first.id)
        assert row is not None
        s.add(
            DeskRequest(
                **{
                    c.key: getattr(row, c.key)
                    for c in DeskRequest.__table__.columns
                    if c.key != "id"
                }
            )
        )
        s.flush()


def test_two_submissions_that_race_file_once(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second submission looked before the first was committed: its insert meets the
    unique index, and it answers the first request."""
    first = filed(sessions, idempotency_key="race")
    looked = filing._filed_before
    calls: list[int] = []

    def not_yet(*args: object, **kw: object) -> object:
        calls.append(1)
        return None if len(calls) == 1 else looked(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(filing, "_filed_before", not_yet)
    again = filed(sessions, idempotency_key="race")
    assert again.id == first.id and len(calls) == 2
    assert _count(sessions) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    sends=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=8),
)
def test_n_submissions_make_one_request_per_key(
    sessions: sessionmaker[Session], sends: list[str]
) -> None:
    prefix = f"p{_count(sessions)}-"  # the database outlives the examples: keys of this one
    ids: dict[str, set[int]] = {}
    for key in sends:
        ids.setdefault(key, set()).add(filed(sessions, idempotency_key=prefix + key).id)
    assert all(len(made) == 1 for made in ids.values())
    for key in set(sends):
        assert _count(sessions, prefix + key) == 1


def test_the_repeat_answers_for_the_uscc_the_key_filed_for(
    sessions: sessionmaker[Session],
) -> None:
    first = filed(sessions, idempotency_key="k")
    assert filed(sessions, idempotency_key="k", category="policy").uscc == A == first.uscc


def test_a_repeat_from_an_account_that_lost_access_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    """Regression (QA): the key was looked up before access was checked, so an account
    that could no longer file for the enterprise still got its earlier request back."""
    first = filed(sessions, idempotency_key="k")
    moved = Actor(enterprise(A).username, (RoleGrant(Role.ENTERPRISE, B),))
    with pytest.raises(AccessDenied):
        filed(sessions, actor=moved, idempotency_key="k")
    assert filed(sessions, idempotency_key="k").id == first.id
    assert _count(sessions) == 1
