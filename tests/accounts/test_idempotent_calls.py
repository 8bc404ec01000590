"""The store of API calls made with an Idempotency-Key (huiqi.accounts.idempotent_calls),
on SQLite and PostgreSQL: a key is claimed once, answered again for the same request,
refused for another, busy while in flight, and forgotten after 24 hours; an answer too
large to keep, or asked again by an account that lost a role since, is not given again."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import idempotent_calls as store
from huiqi.accounts.idempotent_calls import (
    MAX_ANSWER,
    Answer,
    Call,
    KeyInFlight,
    KeyReused,
    NotReplayed,
)
from huiqi.accounts.tables import api_idempotency
from huiqi.db.clock import utcnow
from huiqi.db.engine import transaction

CALL = Call("ent1", "k-1", "POST", "/api/v1/corrections", "a" * 64)
ANSWER = Answer(201, (("content-type", "application/json"), ("location", "/x/1")), b'{"id":1}')


def claim(sessions: sessionmaker[Session], call: Call = CALL, **kw: dt.datetime) -> int | Answer:
    with transaction(sessions) as s:
        return store.claim(s, call, **kw)


def keep(sessions: sessionmaker[Session], claimed: int, answer: Answer = ANSWER) -> None:
    with transaction(sessions) as s:
        store.keep(s, claimed, answer)


def rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(api_idempotency)) or 0)


def test_a_kept_answer_is_given_again_for_the_same_request(
    sessions: sessionmaker[Session],
) -> None:
    claimed = claim(sessions)
    assert isinstance(claimed, int)
    keep(sessions, claimed)
    assert claim(sessions) == ANSWER
    assert claim(sessions) == ANSWER
    assert rows(sessions) == 1


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"body_sha256": "b" * 64}, "with another body"),
        ({"path": "/api/v1/ratings"}, "for POST /api/v1/corrections"),
        ({"method": "PUT"}, "for POST /api/v1/corrections"),
    ],
)
def test_a_key_sent_with_another_request_is_refused(
    sessions: sessionmaker[Session], change: dict[str, str], said: str
) -> None:
    keep(sessions, int(claim(sessions)))  # type: ignore[arg-type]
    other = Call(**{**CALL.__dict__, **change})
    with pytest.raises(KeyReused, match="used before for a different request") as info:
        claim(sessions, other)
    assert said in str(info.value) and "send a new key with each new request" in str(info.value)


def test_keys_are_each_accounts_own(sessions: sessionmaker[Session]) -> None:
    keep(sessions, int(claim(sessions)))  # type: ignore[arg-type]
    theirs = Call(**{**CALL.__dict__, "principal": "ent2", "body_sha256": "c" * 64})
    assert isinstance(claim(sessions, theirs), int)


def test_a_call_in_flight_is_busy_until_answered_or_abandoned(
    sessions: sessionmaker[Session],
) -> None:
    start = utcnow()
    first = claim(sessions, now=start)
    assert isinstance(first, int)
    with pytest.raises(KeyInFlight, match="still being answered"):
        claim(sessions, now=start + dt.timedelta(minutes=29))
    # A worker that stopped mid-call left its row: a repeat after 30 minutes takes it over.
    taken = claim(sessions, now=start + dt.timedelta(minutes=31))
    assert taken == first
    with pytest.raises(KeyInFlight):
        claim(sessions, now=start + dt.timedelta(minutes=32))


def test_a_released_key_is_new_again(sessions: sessionmaker[Session]) -> None:
    claimed = claim(sessions)
    with transaction(sessions) as s:
        store.release(s, int(claimed))  # type: ignore[arg-type]
    assert rows(sessions) == 0
    other = Call(**{**CALL.__dict__, "body_sha256": "d" * 64})
    assert isinstance(claim(sessions, other), int)


def test_keys_expire_after_a_day_and_are_deleted(sessions: sessionmaker[Session]) -> None:
    start = utcnow() - dt.timedelta(hours=25)
    keep(sessions, int(claim(sessions, now=start)))  # type: ignore[arg-type]
    old = Call(**{**CALL.__dict__, "key": "old"})
    keep(sessions, int(claim(sessions, old, now=start)))  # type: ignore[arg-type]
    assert rows(sessions) == 2
    # A day later the key is new: another body is carried out, not refused; the other
    # expired row is deleted on the way.
    again = claim(sessions, Call(**{**CALL.__dict__, "body_sha256": "e" * 64}))
    assert isinstance(again, int)
    assert rows(sessions) == 1


def test_two_racing_claims_of_one_key_let_one_through(sessions: sessionmaker[Session]) -> None:
    barrier, outcomes = threading.Barrier(4), []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        try:
            got: object = claim(sessions)
        except KeyInFlight as exc:
            got = exc
        with lock:
            outcomes.append(got)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(o, int) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, KeyInFlight) for o in outcomes) == 3
    assert rows(sessions) == 1


def test_an_answer_too_large_to_keep_is_refused_on_a_repeat_never_done_again(
    sessions: sessionmaker[Session],
) -> None:
    """Regression (qa5): any answer was kept for 24 hours, whatever its size. Above
    MAX_ANSWER its status and headers are kept, not its body, and a repeat is refused:
    the key is not released, which would have carried the call out a second time."""
    big = Answer(201, (("location", "/api/v1/x/7"),), b"x" * (MAX_ANSWER + 1))
    keep(sessions, int(claim(sessions)))  # type: ignore[arg-type]
    other = Call(**{**CALL.__dict__, "key": "k-big"})
    keep(sessions, int(claim(sessions, other)), big)  # type: ignore[arg-type]
    with sessions() as s:
        kept = s.execute(
            select(api_idempotency.c.status, api_idempotency.c.body).where(
                api_idempotency.c.idempotency_key == store.stored_key("k-big")
            )
        ).one()
    assert kept == (201, None)
    for _ in range(2):  # refused each time, never claimed anew
        with pytest.raises(NotReplayed) as info:
            claim(sessions, other)
        said = str(info.value)
        assert "'k-big' was carried out (it was answered 201, location: /api/v1/x/7)" in said
        assert "larger than the 262,144 bytes kept for a repeat" in said
        assert "not carried out again" in said
        assert info.value.field == "Idempotency-Key"
    assert rows(sessions) == 2
    # An answer of exactly the limit is kept and given again.
    edge = Answer(200, (), b"y" * MAX_ANSWER)
    third = Call(**{**CALL.__dict__, "key": "k-edge"})
    keep(sessions, int(claim(sessions, third)), edge)  # type: ignore[arg-type]
    assert claim(sessions, third) == edge
    assert claim(sessions) == ANSWER


SCOPED = Call(
    "li.wei",
    "k-scope",
    "POST",
    "/api/v1/applications/3/approve",
    "f" * 64,
    grants=("policy_reviewer=district:310115", "desk_officer=department:市财政局"),
)


@pytest.mark.parametrize(
    ("now_held", "lost"),
    [
        (
            ("policy_reviewer=district:310104", "desk_officer=department:市财政局"),
            "policy_reviewer=district:310115,",
        ),
        (("policy_reviewer=district:310115",), "desk_officer=department:市财政局,"),
        ((), "desk_officer=department:市财政局, policy_reviewer=district:310115,"),
    ],
)
def test_a_repeat_by_an_account_that_lost_a_role_or_scope_is_refused(
    sessions: sessionmaker[Session], now_held: tuple[str, ...], lost: str
) -> None:
    """Regression (qa5): a role change was rechecked on a repeat (the endpoint's role gate),
    a scope change was not: an officer moved to another district was answered again what
    it had seen of its old district's record."""
    keep(sessions, int(claim(sessions, SCOPED)))  # type: ignore[arg-type]
    moved = Call(**{**SCOPED.__dict__, "grants": now_held})
    with pytest.raises(NotReplayed) as info:
        claim(sessions, moved)
    said = str(info.value)
    assert "'k-scope' was carried out (it was answered 201, location: /x/1)" in said
    assert f"no longer holds {lost} which it held then" in said
    assert "it is not carried out again" in said
    assert rows(sessions) == 1
    # Given the roles back, the account is answered again.
    assert claim(sessions, SCOPED) == ANSWER


def test_a_role_added_since_changes_nothing(sessions: sessionmaker[Session]) -> None:
    keep(sessions, int(claim(sessions, SCOPED)))  # type: ignore[arg-type]
    more = Call(**{**SCOPED.__dict__, "grants": (*SCOPED.grants, "policy_reviewer=*")})
    assert claim(sessions, more) == ANSWER


def test_a_call_kept_before_roles_were_recorded_is_not_given_again(
    sessions: sessionmaker[Session],
) -> None:
    """A row written before migration 0027 holds no roles: what the account could see then
    is not known, so its answer is not given."""
    keep(sessions, int(claim(sessions)))  # type: ignore[arg-type]
    with transaction(sessions) as s:
        s.execute(api_idempotency.update().values(grants=None))
    with pytest.raises(NotReplayed, match="roles your account held then were not recorded"):
        claim(sessions)
