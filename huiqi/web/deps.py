"""FastAPI dependencies as types: the database, who is asking, their language.

Who is asking comes from a bearer API token (``Authorization: Bearer hq_…``) or the
session cookie; either way the token is turned into an actor by
``huiqi.accounts.bearer.checked_token``. What the actor may do is decided by the
service functions the views call, never here: a route that reads a body may ask a
service's own role check first (:func:`checked_first`), so that a caller who may not
do the thing at all is refused (403) before its body is validated (400), and a route
may name the roles it is for (:func:`role_gate`). Every API endpoint checks both, and
that its caller is signed in, before anything of its query or body is read
(:func:`access_first`): a caller without the role got 422 for a malformed query, which
named the endpoint's parameters, instead of 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, NotSignedIn, require_role
from huiqi.accounts.bearer import checked_token, record_use
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.engine import reading
from huiqi.errors import HuiqiError
from huiqi.web import i18n
from huiqi.web.console_pages import is_page, require_page
from huiqi.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_ok, from_this_site
from huiqi.web.settings import WebSettings


class CsrfRefused(HuiqiError):
    """A state-changing request without the CSRF token of its session."""


def get_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.factory
    return factory


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_web_settings(request: Request) -> WebSettings:
    web: WebSettings = request.app.state.web
    return web


Factory = Annotated[sessionmaker[Session], Depends(get_factory)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Web = Annotated[WebSettings, Depends(get_web_settings)]


@dataclass(frozen=True)
class Who:
    """The caller: an actor and how it proved who it is (None: anonymous)."""

    actor: Actor | None
    via: str | None = None  # "bearer" or "cookie"

    @property
    def enterprise(self) -> str | None:
        """The enterprise the actor is, when it is exactly one (an enterprise user)."""
        own = [s for s in self.actor.scopes(Role.ENTERPRISE) if s] if self.actor else []
        return own[0] if len(own) == 1 else None

    @property
    def portal(self) -> bool:
        """Whether the actor uses the enterprise portal (an enterprise or a park operator)."""
        return bool(self.actor and self.actor.has(Role.ENTERPRISE, Role.PARK_OPERATOR))


def current(request: Request, factory: Factory) -> Who:
    """The caller. A bearer token that is not valid is refused; a stale session cookie
    makes the visitor anonymous (the pages then offer to sign in)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        secret, via = header[7:].strip(), "bearer"
    else:
        secret, via = request.cookies.get(SESSION_COOKIE, ""), "cookie"
    known: Who | None = getattr(request.state, "who", None)
    if known is not None:  # asked already by access_first
        return known
    if not secret:
        return Who(None)
    with reading(factory) as s:
        try:
            actor, due = checked_token(s, secret)
        except NotSignedIn:
            if via == "bearer":
                raise
            return Who(None)
    if due is not None:  # the token's last use, every few minutes, if the database is free
        record_use(factory.kw["bind"], due)
    request.state.actor = actor
    request.state.who = Who(actor, via)
    return request.state.who


Viewer = Annotated[Who, Depends(current)]


def signed_in(request: Request, who: Viewer) -> Who:
    if who.actor is None:
        scheme = request.headers.get("authorization", "").strip().split(" ")[0]
        if scheme:  # "Basic …", "Token …", "Bearer" alone: the caller should know why
            said = (
                "holds no token"
                if scheme.lower() == "bearer"
                else f"uses the scheme '{scheme[:20]}'"
            )
            raise NotSignedIn(
                f"the Authorization header {said}; send the API token as"
                " 'Authorization: Bearer <token>'"
            )
        raise NotSignedIn("sign in first")
    return who


SignedIn = Annotated[Who, Depends(signed_in)]


def api_writer(request: Request, who: SignedIn) -> Who:
    """A signed-in caller allowed to change something: a bearer token, or a session cookie
    with its CSRF token in the X-CSRF-Token header, from a page of this site (as a form)."""
    if who.via == "cookie" and not from_this_site(request):
        raise CsrfRefused(
            "this request changes data with the session cookie but comes from another site"
            " (its Origin header); call the API from the portal's pages, or with an API token"
            " (Authorization: Bearer)"
        )
    if who.via == "cookie" and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused(
            f"this request changes data: send the page's CSRF token in the {CSRF_HEADER} header"
        )
    return who


ApiWriter = Annotated[Who, Depends(api_writer)]


def checked_first(check: Callable[[Actor], None]) -> Any:
    """An :data:`ApiWriter` dependency that runs ``check`` (a service's role check, which
    raises ``AccessDenied``) before the body is validated: FastAPI calls dependencies
    before it reports the body's errors, so a role that may not act at all reads 403,
    not the 400 of a body it should never have sent."""

    def writer(who: ApiWriter) -> Who:
        check(actor_of(who))
        return who

    writer.first_check = check  # type: ignore[attr-defined]
    return Depends(writer)


def role_gate(what: str, *roles: Role) -> Any:
    """A route's dependency (``dependencies=[role_gate(...)]``): only actors holding one of
    ``roles`` may call it (in any scope: the service checks the scope), refused as the
    service refuses them (``may not <what>``), before the query is read."""

    def check(actor: Actor) -> None:
        require_role(actor, what, *roles)

    def gate(who: SignedIn) -> None:
        check(actor_of(who))

    gate.first_check = check  # type: ignore[attr-defined]
    return Depends(gate)


# Kept on the route itself: a cache keyed by id(route) handed a route made after another
# was collected (a second app in one process) the first one's gates.
_GATES_ATTR = "huiqi_gates"


def _gates(dependant: Any) -> tuple[bool, list[Callable[[Actor], None]]]:
    """Whether an endpoint (its dependencies included) needs a signed-in caller, and the
    role checks it declares (:func:`checked_first`, :func:`role_gate`)."""
    signs_in, checks = False, []
    for sub in dependant.dependencies:
        check = getattr(sub.call, "first_check", None)
        if check is not None:
            checks.append(check)
        needs, more = _gates(sub)
        signs_in = signs_in or needs or sub.call is signed_in or check is not None
        checks.extend(c for c in more if c not in checks)
    return signs_in, checks


def access_first(request: Request, factory: Factory) -> None:
    """Every API endpoint's first dependency: its caller is signed in (401) and holds a
    role it is for (403) before its query and body are read (422 named the parameters
    of an endpoint to a caller who may not use it)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    cached = getattr(route, _GATES_ATTR, None)
    if cached is None:
        needs, checks = _gates(dependant)
        cached = (needs, tuple(checks))
        setattr(route, _GATES_ATTR, cached)
    needs, found = cached
    if not needs:
        return
    who = signed_in(request, current(request, factory))
    for check in found:
        check(actor_of(who))


def page_first(request: Request, factory: Factory) -> None:
    """A console page's first dependency: its reader is signed in and holds a role the
    page is for (:func:`huiqi.web.console_pages.require_page`) before its address is
    read: a finance officer's ``/console/requests?after=abc`` was a 400 saying what the
    desk's queue takes, not a 403."""
    path = getattr(request.scope.get("route"), "path_format", None)
    if path is None or not is_page(path):
        return
    require_page(actor_of(signed_in(request, current(request, factory))), path)


def language(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE))


Lang = Annotated[str, Depends(language)]


def actor_of(who: Who) -> Actor:
    assert who.actor is not None
    return who.actor
