"""The API calls an account made with an ``Idempotency-Key`` header, and their answers.

A client that retries a call whose answer it lost (a timeout, a dropped connection)
sends the same key again; the call is then answered as it was the first time and nothing
is done twice. The key stands for one request: the same account, method, path (with its
query string) and body. This module keeps, per account and key, what the request was
(its body as an HMAC-SHA256 under the key, ``huiqi.web.idempotent``) and, once answered,
the answer (status, a few headers, body). The key itself is kept only as its SHA-256
(:func:`stored_key`): with the key in clear beside it, the body's keyed hash would be as
easy to test guesses against as a plain one, and a body may hold a password.

* :func:`claim` before a call is carried out: the key is new (a row "in flight" is
  written, the caller goes on), or the answer kept is returned (the caller answers it
  again), or the call is refused: :class:`KeyReused` when the key was sent with another
  request, :class:`KeyInFlight` while the first is still being answered;
* :func:`keep` once answered successfully, :func:`release` otherwise (a refused or failed
  call did nothing, and its key may be sent again).

A kept answer is given again only while the account holds every role it held when the
call was made (``Call.grants``; a role or scope taken away since, an officer moved to
another district, may no longer see what the answer shows), and may still read what the
call's access rested on beyond its roles (``relies``, :mod:`huiqi.accounts.reliance`: an
enterprise a park operator acted for, since moved to another park; a request a desk
officer handled, since transferred to another department), and only if it was kept: an
answer larger than :data:`MAX_ANSWER` keeps its status and headers but not its body. Either
way a repeat is :class:`NotReplayed` (409): the first call was carried out, it is not
carried out again, and its answer is not given.

The unique index on (principal, idempotency_key) decides between two calls that race.
Rows older than :data:`KEEP` are deleted as new keys are claimed, and an expired key is a
new key. A call still "in flight" after :data:`IN_FLIGHT` was left by a worker that
stopped: its key is taken over by the next repeat.

The exactly-once guarantee of what a call stores is the call's own where it has one
(a request to the desk and an attached file keep their key with the record,
:mod:`huiqi.delivery.idempotency`); this store is the answer's memory on top of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.accounts import reliance
from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.accounts.tables import api_idempotency as calls
from huiqi.db.clock import utcnow
from huiqi.errors import HuiqiError, StateConflict

KEEP = dt.timedelta(hours=24)  # how long a key and its answer are kept
IN_FLIGHT = dt.timedelta(minutes=30)  # a call unanswered for longer was abandoned
# The largest answer body kept for a repeat (256 KiB): an API write's answer is a record, a
# report or a page of refusals; a larger one is not held in the table for 24 hours.
MAX_ANSWER = 256 * 1024
HEADER = "Idempotency-Key"


class KeyReused(HuiqiError):
    """The key was sent before with another request (another endpoint or body)."""


class KeyInFlight(StateConflict):
    """The first call with this key is still being answered: repeat it in a moment."""


class NotReplayed(StateConflict):
    """The first call with this key was carried out, but its answer is not given again:
    it was too large to keep, or the account no longer holds every role it held then."""

    field = HEADER


@dataclass(frozen=True)
class Call:
    """One API request, as its key stands for it."""

    principal: str  # the account's username
    key: str  # as sent (kept as its hash, stored_key)
    method: str
    path: str  # with the query string, if any
    body_sha256: str
    # The account's roles as held when it calls ("role" or "role=scope"); not part of
    # what the key stands for, but what a kept answer is bound to.
    grants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """The answer a call got: its status, the headers kept, and its body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def claim(
    session: Session,
    call: Call,
    *,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> int | Answer:
    """Claim ``call``'s key: the id of the row now in flight for it (carry the call out,
    then :func:`keep` or :func:`release`), or the answer kept for the same request.
    Raises :class:`KeyReused` or :class:`KeyInFlight`. Deletes the expired rows.
    ``actor``: the account as it calls now (default: the call's principal and grants),
    whose access a kept answer is checked against again."""
    at = now or utcnow()
    session.execute(delete(calls).where(calls.c.created_at < at - KEEP))
    row = _found(session, call)
    if row is None:
        try:
            with session.begin_nested():
                return int(
                    session.execute(
                        insert(calls)
                        .values(
                            principal=call.principal,
                            idempotency_key=stored_key(call.key),
                            method=call.method,
                            path=call.path,
                            body_sha256=call.body_sha256,
                            grants=json.dumps(sorted(set(call.grants)), ensure_ascii=False),
                            created_at=at,
                        )
                        .returning(calls.c.id)
                    ).scalar_one()
                )
        except IntegrityError:  # a call with the same key claimed it first
            row = _found(session, call)
            if row is None:
                raise
    if (row.method, row.path, row.body_sha256) != (call.method, call.path, call.body_sha256):
        what = (
            "with another body"
            if (row.method, row.path) == (call.method, call.path)
            else f"for {row.method} {row.path}"
        )
        raise KeyReused(
            f"the Idempotency-Key {call.key!r} was used before for a different request"
            f" ({what}), so this one was not carried out; a key stands for one request:"
            " send a new key with each new request, and a key again only to repeat its"
            " request exactly"
        )
    if row.status is not None:
        answer = Answer(row.status, _headers(row.headers), bytes(row.body or b""))
        _check_replay(call, row.grants, answer, kept=row.body is not None)
        _check_relied(session, actor or _actor_of(call), call, row.relies, answer)
        return answer
    if row.created_at < at - IN_FLIGHT and _take_over(session, row.id, row.created_at, at):
        return int(row.id)
    raise KeyInFlight(
        f"the request first sent with the Idempotency-Key {call.key!r} is still being"
        " answered; send it again in a moment to get its answer"
    )


def keep(
    session: Session, claimed: int, answer: Answer, relies: Iterable[reliance.Relied] = ()
) -> None:
    """Keep the answer of the call that claimed row ``claimed``: its status and headers,
    and its body unless it is larger than :data:`MAX_ANSWER` (a repeat is then refused,
    :class:`NotReplayed`, never carried out again); and ``relies``, what the call's access
    rested on beyond the roles (:func:`huiqi.accounts.reliance.noting`)."""
    session.execute(
        update(calls)
        .where(calls.c.id == claimed, calls.c.status.is_(None))
        .values(
            status=answer.status,
            headers=json.dumps([list(pair) for pair in answer.headers]),
            body=answer.body if len(answer.body) <= MAX_ANSWER else None,
            relies=json.dumps([list(pair) for pair in relies], ensure_ascii=False),
        )
    )


def _first(answer: Answer) -> str:
    return f"it was answered {answer.status}" + "".join(
        f", {name}: {value}" for name, value in answer.headers if name.lower() == "location"
    )


def _check_relied(
    session: Session, actor: Actor, call: Call, relies: str | None, answer: Answer
) -> None:
    """Refuse to give ``answer`` again (:class:`NotReplayed`) when the account may no
    longer read what the call's access rested on (``relies``: JSON; None for a call made
    before it was recorded). Regression (qa2): a park operator whose enterprise had left
    the park, and a desk officer whose request had gone to another department, were
    answered again, their roles being unchanged."""
    if relies is None:
        why = "what its access rested on was not recorded (a call made before huiqi kept it)"
    else:
        gone = reliance.lost(session, actor, [(str(k), str(s)) for k, s in json.loads(relies)])
        if not gone:
            return
        why = (
            f"your account may no longer read {', '.join(gone)}, which it could then (an"
            " enterprise in another park since, a request with another department)"
        )
    raise NotReplayed(
        f"the request first sent with the {HEADER} {call.key!r} was carried out"
        f" ({_first(answer)}), but its answer is not given again: {why}; it is not carried"
        " out again. Read what it changed with a GET, which shows what your roles allow now"
    )


def _actor_of(call: Call) -> Actor:
    """The account as the call names it: its principal and the grants it holds now."""
    grants = []
    for text in call.grants:
        role, _, scope = text.partition("=")
        grants.append(RoleGrant(Role(role), scope or None))
    return Actor(call.principal, tuple(sorted(set(grants))))


def _check_replay(call: Call, held: str | None, answer: Answer, *, kept: bool) -> None:
    """Refuse to give ``answer`` again (:class:`NotReplayed`) when the account no longer
    holds a role it held when the call was made (``held``: those roles, JSON; None for a
    call made before they were recorded), or when the answer was too large to keep."""
    first = _first(answer)
    then = set(json.loads(held)) if held is not None else None
    if then is None or not then <= set(call.grants):
        why = (
            f"your account no longer holds {', '.join(sorted(then - set(call.grants)))},"
            " which it held then, so it may no longer see what the answer shows"
            if then is not None
            else "the roles your account held then were not recorded (a call made before"
            " huiqi kept them)"
        )
        raise NotReplayed(
            f"the request first sent with the {HEADER} {call.key!r} was carried out ({first}),"
            f" but its answer is not given again: {why}; it is not carried out again. Read"
            " what it changed with a GET, which shows what your roles allow now"
        )
    if not kept:
        raise NotReplayed(
            f"the request first sent with the {HEADER} {call.key!r} was carried out ({first}),"
            f" but its answer was larger than the {MAX_ANSWER:,} bytes kept for a repeat, so"
            " it is not given again, and the request is not carried out again. Read what it"
            " changed with a GET"
        )


def release(session: Session, claimed: int) -> None:
    """Forget the key of a call that was refused or failed: it did nothing."""
    session.execute(delete(calls).where(calls.c.id == claimed, calls.c.status.is_(None)))


def stored_key(key: str) -> str:
    """How a key is kept: its SHA-256 (hex, 64 characters), never the key as sent."""
    return hashlib.sha256(key.encode()).hexdigest()


def _found(session: Session, call: Call) -> Row[Any] | None:
    return session.execute(
        select(calls).where(
            calls.c.principal == call.principal,
            calls.c.idempotency_key == stored_key(call.key),
        )
    ).one_or_none()


def _take_over(session: Session, row_id: int, since: dt.datetime, at: dt.datetime) -> bool:
    """Claim an abandoned call's row, unless another repeat took it over first."""
    taken = session.execute(
        update(calls)
        .where(calls.c.id == row_id, calls.c.status.is_(None), calls.c.created_at == since)
        .values(created_at=at)
    )
    return bool(getattr(taken, "rowcount", 0))


def _headers(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in json.loads(text or "[]"))
