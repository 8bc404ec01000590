"""The ``Idempotency-Key`` header on every API call that changes something (POST, PUT,
PATCH, DELETE under ``/api/v1``), one mechanism for all of them (docs/api.md
"Idempotency keys"), as the IETF httpapi idempotency-key draft describes it:

* the same key, from the same account, with the same method, path and body: the first
  answer again (status, body, ``Location``…), with ``Idempotent-Replayed: true``, and
  nothing is done twice;
* the same key with another body or another endpoint: 422, nothing done;
* the same key while the first call is still being answered: 409, to retry in a moment;
* a key that is not 1 to 64 visible ASCII characters: 422 naming the header;
* a repeat whose answer was not kept (larger than
  :data:`~huiqi.accounts.idempotent_calls.MAX_ANSWER`), or made by an account that no
  longer holds every role it held then: 409 ``not_replayed``, the call not carried out
  again.

Three parts: :class:`Idempotent`, an ASGI wrapper, fingerprints the body as the route
reads it and holds the answer of a claimed call until it is kept;
:func:`idempotency_first`, the API's dependency after the access checks, reads the rest
of the body (spooled to disk beyond 1 MB, never held twice), claims the key for the
signed-in account (:mod:`huiqi.accounts.idempotent_calls`) or answers from it; and the
exception handler that answers a replay. Only a successful (2xx) answer is kept: a
refused or failed call did nothing, and its key may be sent again. The account's roles are
kept with the call, and what its access rested on beyond them (the wrapper notes it while
the call runs, :mod:`huiqi.accounts.reliance`); a replay is answered only while the
account holds each role still and may still read each of those.

A multipart body is compared without its boundary, which an HTTP client draws anew for
each request it encodes, a retry included.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from tempfile import SpooledTemporaryFile
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huiqi.accounts import idempotent_calls as store
from huiqi.accounts import reliance
from huiqi.accounts.idempotent_calls import Answer, Call, KeyInFlight, KeyReused
from huiqi.db.engine import transaction
from huiqi.delivery.idempotency import MAX_KEY, check_key
from huiqi.errors import HuiqiError
from huiqi.web.deps import api_writer

log = logging.getLogger("huiqi.web")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PREFIX = "/api/v1/"
# The headers of an answer kept with it (the rest are the server's, made anew).
KEPT_HEADERS = frozenset({"content-type", "content-disposition", "location"})
SPOOL = 1024 * 1024  # a body read ahead is held in memory up to this, then on disk
CHUNK = 64 * 1024
_SCOPE = "huiqi.idempotent"  # the call's Exchange, in the ASGI scope


class _Digest:
    """HMAC-SHA256 of a body under its idempotency key, fed in chunks; a multipart body's
    boundary is hashed as one fixed token wherever it occurs (a chunk may end inside it).

    Keyed, not a plain SHA-256: a body may hold a password (``POST /api/v1/users``,
    ``PATCH``), and the store keeps the fingerprint 24 hours beside the key only as a hash
    (:func:`huiqi.accounts.idempotent_calls.stored_key`): whoever reads the table cannot
    test guessed passwords against a fast unsalted hash of the body."""

    def __init__(self, boundary: bytes | None, key: bytes = b"") -> None:
        self._sha = hmac.new(key, digestmod=hashlib.sha256)
        self._mark = b"--" + boundary if boundary else b""
        self._tail = b""

    def update(self, data: bytes) -> None:
        if not self._mark:
            self._sha.update(data)
            return
        buf, start = self._tail + data, 0
        while (at := buf.find(self._mark, start)) >= 0:
            self._sha.update(buf[start:at])
            self._sha.update(b"--\x00boundary\x00")
            start = at + len(self._mark)
        keep = max(start, len(buf) - len(self._mark) + 1)
        self._sha.update(buf[start:keep])
        self._tail = buf[keep:]

    def hexdigest(self) -> str:
        self._sha.update(self._tail)
        self._tail = b""
        return self._sha.hexdigest()


def body_digest(key: str, body: bytes, boundary: bytes | None = None) -> str:
    """The fingerprint of a whole ``body`` sent with ``key``, as a call's is kept."""
    digest = _Digest(boundary, key.encode("latin-1"))
    digest.update(body)
    return digest.hexdigest()


def _boundary(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media, _, params = value.partition(b";")
            if media.strip().lower() != b"multipart/form-data":
                return None
            for param in params.split(b";"):
                key, _, found = param.strip().partition(b"=")
                if key.strip().lower() == b"boundary" and found.strip(b' "'):
                    return found.strip(b' "')
    return None


class Exchange:
    """One API write sent with the header: its body, fingerprinted as it is read, and,
    once its key is claimed, its answer held until it is kept."""

    def __init__(self, scope: Scope, receive: Receive, keys: list[str]) -> None:
        self.keys = keys  # the header's values, as sent
        query = scope.get("query_string", b"").decode("latin-1")
        self.target = scope["path"] + (f"?{query}" if query else "")
        self._receive = receive
        # The key as sent (several headers, or one that is no key, are refused before the
        # fingerprint is used).
        self._digest = _Digest(_boundary(scope), keys[-1].encode("latin-1"))
        self._received = False  # the whole body has come in
        self._spool: Any = None  # the rest of the body, read ahead to fingerprint it
        self._ahead = 0  # how many bytes of it the route has still to read
        self._given = False  # the route has read all of it
        self.claim: tuple[sessionmaker[Session], int] | None = None
        # What the call's access checks rested on beyond the roles, kept with its answer.
        self.relied: list[reliance.Relied] = []
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def receive(self) -> Message:
        """What the route reads: the body as it comes (fingerprinted), or as read ahead."""
        if self._spool is not None and not self._given:
            chunk = self._spool.read(CHUNK)
            self._ahead -= len(chunk)
            self._given = self._ahead <= 0
            return {"type": "http.request", "body": chunk, "more_body": not self._given}
        message = await self._receive()
        if message["type"] == "http.request" and not self._received:
            self._digest.update(message.get("body", b""))
            self._received = not message.get("more_body", False)
        return message

    async def fingerprint(self) -> str:
        """The body's HMAC-SHA256 under its key, reading what the route has not read yet ahead (it reads
        it again from here)."""
        if not self._received:
            self._spool = SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - closed by abandon()
            while not self._received:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                body = message.get("body", b"")
                self._digest.update(body)
                self._spool.write(body)
                self._ahead += len(body)
                self._received = not message.get("more_body", False)
            self._spool.seek(0)
        return self._digest.hexdigest()

    def send_to(self, send: Send) -> Send:
        """The route's ``send``: an unclaimed call's answer goes out as it is made; a
        claimed call's is held until it is complete, kept (2xx) or its key released, then
        sent."""

        async def sending(message: Message) -> None:
            if self.claim is None or message["type"] not in (
                "http.response.start",
                "http.response.body",
            ):
                await send(message)
                return
            if message["type"] == "http.response.start":
                self._start = message
                return
            self._chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert self._start is not None
            await self._settle(self._start, b"".join(self._chunks))
            await send(self._start)
            await send({"type": "http.response.body", "body": b"".join(self._chunks)})

        return sending

    async def _settle(self, start: Message, body: bytes) -> None:
        assert self.claim is not None
        (factory, claimed), self.claim = self.claim, None
        status = int(start["status"])
        headers = tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in start.get("headers", ())
            if name.decode("latin-1").lower() in KEPT_HEADERS
        )

        def settle() -> None:
            with transaction(factory) as s:
                if 200 <= status < 300:
                    store.keep(s, claimed, Answer(status, headers, body), self.relied)
                else:
                    store.release(s, claimed)

        try:
            await run_in_threadpool(settle)
        except Exception:  # the answer goes out all the same; the key stays in flight
            log.exception("the answer to an idempotent call could not be kept")

    async def abandon(self) -> None:
        """After the route: release a claim it answered nothing to (an error raised)."""
        if self._spool is not None:
            self._spool.close()
        if self.claim is None:
            return
        (factory, claimed), self.claim = self.claim, None

        def release() -> None:
            with transaction(factory) as s:
                store.release(s, claimed)

        await run_in_threadpool(release)


class Idempotent:
    """The ASGI wrapper: an API write with the header gets an :class:`Exchange`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        keys = _sent_keys(scope) if _is_write(scope) else []
        if not keys:
            await self.app(scope, receive, send)
            return
        exchange = Exchange(scope, receive, keys)
        scope[_SCOPE] = exchange
        try:
            with reliance.noting() as exchange.relied:
                await self.app(scope, exchange.receive, exchange.send_to(send))
        finally:
            await exchange.abandon()


def _is_write(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope.get("method") in WRITES
        and str(scope.get("path", "")).startswith(PREFIX)
    )


def _sent_keys(scope: Scope) -> list[str]:
    return [
        value.decode("latin-1")
        for name, value in scope.get("headers", ())
        if name.lower() == b"idempotency-key"
    ]


def _refused(keys: list[str], why: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("header", HEADER), "msg": why, "input": keys[-1]}]
    )


def _key(keys: list[str]) -> str | None:
    """The key the header holds (None: an empty header, no key), or a 422 naming it."""
    if len(keys) > 1:
        raise _refused(keys, f"send one {HEADER} header, not {len(keys)}")
    try:
        return check_key(keys[0], HuiqiError)
    except HuiqiError:
        raise _refused(
            keys,
            f"the {HEADER} header is not a key: an idempotency key is 1 to {MAX_KEY} visible"
            " ASCII characters (no spaces); send a new random one (e.g. a UUID) with each"
            " new request",
        ) from None


class Replayed(Exception):
    """A repeat, answered with the first call's answer (not an error)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("replayed")
        self.answer = answer


async def idempotency_first(request: Request) -> None:
    """The API's dependency after the access checks: a write sent with the header by a
    signed-in account is claimed, answered again, or refused before the route runs (an
    anonymous call, the calculator's, changes nothing of anyone's and keeps nothing)."""
    exchange: Exchange | None = request.scope.get(_SCOPE)
    if exchange is None:
        return
    key = _key(exchange.keys)
    who = getattr(request.state, "who", None)
    if key is None or who is None or who.actor is None:
        return
    if who.via == "cookie":  # the CSRF check of every write, before the body is read
        api_writer(request, who)
    call = Call(
        principal=who.actor.username,
        key=key,
        method=request.method,
        path=exchange.target,
        body_sha256=await exchange.fingerprint(),
        grants=tuple(str(g) for g in who.actor.grants),
    )
    factory: sessionmaker[Session] = request.app.state.factory

    def claim() -> int | Answer:
        with transaction(factory) as s:
            return store.claim(s, call, actor=who.actor)

    try:
        outcome = await run_in_threadpool(claim)
    except KeyReused as exc:
        raise _refused(exchange.keys, str(exc)) from None
    except KeyInFlight as exc:
        raise HTTPException(409, str(exc), headers={"Retry-After": "1"}) from None
    if isinstance(outcome, Answer):
        raise Replayed(outcome)
    exchange.claim = (factory, outcome)


async def _replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replayed)
    answer = exc.answer
    response = Response(answer.body, answer.status)
    for name, value in answer.headers:
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def install(app: FastAPI) -> None:
    """Answer replays; wrap the app (inside the body limit, which bounds what is read)."""
    app.add_exception_handler(Replayed, _replay)
    app.add_middleware(Idempotent)


HEADER_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A new random key for each request (e.g. a UUID). Sent again with the"
    " same request (a retry), it is answered as the first time, with"
    f" `{REPLAYED}: true`, and nothing is done twice; with another body or endpoint it is"
    " a 422; while the first is still being answered, a 409. Kept 24 hours per account;"
    " an answer above 256 KiB is not kept, and a repeat of it, or one by an account that"
    " lost a role or scope since, or may no longer read what the call rested on (an"
    " enterprise since in another park, a request since with another department), is a"
    " 409 `not_replayed` (not carried out again). See"
    " docs/api.md, Idempotency keys.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[!-~]+$"},
}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the optional header on every API write."""
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(PREFIX):
            continue
        for method, operation in operations.items():
            if method.upper() not in WRITES:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(HEADER_PARAMETER)
            for status, response in operation.get("responses", {}).items():
                if str(status).startswith("2"):
                    response.setdefault("headers", {})[REPLAYED] = {
                        "description": "`true` on the answer to a repeat of an earlier"
                        f" request with the same {HEADER}",
                        "schema": {"type": "string", "enum": ["true"]},
                    }
    return schema
