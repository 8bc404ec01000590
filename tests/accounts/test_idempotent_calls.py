"""The store of API calls made with an Idempotency-Key (huiqi.accounts.idempotent_calls),
on SQLite and PostgreSQL: a key is claimed once, answered again for the same request,
refused for another, busy while in flight, and forgotten after 24 hours."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import idempotent_calls as store
from huiqi.accounts.idempotent_calls import Answer, Call, KeyInFlight, KeyReused
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
