"""The officer console's users page, for admins: every account with its roles (and their
scopes), whether it is disabled and its email; a form to add a user, and on each user's
row forms to add or remove a role and to disable or enable it.

Each action is one service call (``accounts.service.list_users``, ``add_user``,
``change_user``, ``set_disabled``), which checks the admin role and records the audit
event. A refusal is shown beside its form in the page's language
(:mod:`huiqi.web.account_texts`), with what was typed kept (never the password)."""

from __future__ import annotations

import gettext
import unicodedata
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from huiqi.accounts import service as accounts
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.credentials import MIN_PASSWORD
from huiqi.accounts.roles import Role, RoleGrant, check_scope, parse_role
from huiqi.db.engine import reading, transaction
from huiqi.errors import HuiqiError
from huiqi.web import i18n
from huiqi.web.account_texts import ROLE_NAMES, account_message
from huiqi.web.console_pages import require_page
from huiqi.web.deps import Factory, SignedIn, Who, actor_of
from huiqi.web.errors import status_of, wants_json
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
PATH = "/console/users"
# What a refused add keeps of the form (the password is typed again).
KEPT = ("username", "email", "role", "scope", "more_roles", "new_department")
SHOWN = 100  # users a page lists (a keyset by name: there is a user per enterprise)
LONGEST = 64  # the longest user name

# huiqi.accounts.service.SCHEDULER_NAME, for the catalogue.
SCHEDULER_NAME = N_("scheduled work (service account)")


def _page(
    request: Request,
    factory: Factory,
    who: Who,
    *,
    add_error: str | None = None,
    row_errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(who)
    require_page(actor, PATH)
    starting = request.query_params.get("q", "").strip()
    after = request.query_params.get("after", "")
    error = next((e for e in map(_unusable, (starting, after)) if e), None)
    users: list[accounts.UserPublic] = []
    if error is None:
        with reading(factory) as s:
            users = accounts.list_users(
                s, actor=actor, starting=starting or None, after=after or None, limit=SHOWN + 1
            )
    more, users = len(users) > SHOWN, users[:SHOWN]
    query = {"q": starting} if starting and error is None else {}
    next_page = f"{PATH}?{urlencode(query | {'after': users[-1].username})}" if more else None
    if error is not None:
        status_code = max(status_code, 400)
    if wants_json(request):
        body = {"users": [asdict(u) for u in users], "next": next_page}
        return JSONResponse(body, status_code=status_code)
    names = {code: _catalogue(request).gettext(label) for code, label in ROLE_NAMES.items()}
    context: dict[str, Any] = {
        "users": users,
        # Names huiqi gave its own accounts, in the page's language; a person's as written.
        "own_names": {accounts.SCHEDULER_NAME: _catalogue(request).gettext(SCHEDULER_NAME)},
        "grants": {u.username: [_split(g) for g in u.roles] for u in users},
        "roles": [(r.value, names[r.value]) for r in Role],
        "role_names": names,
        "me": actor.username,
        "min_password": MIN_PASSWORD,
        "add_error": add_error,
        "row_errors": row_errors or {},
        "typed": typed or {},
        "starting": starting,
        "filter_error": _catalogue(request).gettext(error) if error else None,
        "next_page": next_page,
        "first_page": f"{PATH}?{urlencode(query)}" if query else PATH,
        "continued": bool(after) and error is None,
        "done": request.query_params.get("done"),
        "done_name": request.query_params.get("name", "")[:64],
    }
    return page(request, "console_users.html", context, status_code=status_code)


def _unusable(value: str) -> str | None:
    """Why a value of the page's address cannot be a user's name (a catalogue message)."""
    if len(value) > LONGEST:
        return N_("A filter holds at most 64 characters.")
    if any(unicodedata.category(c).startswith("C") for c in value):
        return N_("A filter cannot hold control characters.")
    return None


def _split(grant: str) -> tuple[str, str, str]:
    """A held grant as the page shows it: (the grant as stored, its role, its scope)."""
    role, _, scope = grant.partition("=")
    return grant, role, scope


def _catalogue(request: Request) -> gettext.NullTranslations:
    return i18n.translations(i18n.choose(request.cookies.get(i18n.COOKIE)))


def _refusal(request: Request, exc: HuiqiError) -> str:
    return account_message(_catalogue(request), str(exc))


def _done(what: str, name: str) -> Response:
    return RedirectResponse(f"{PATH}?{urlencode({'done': what, 'name': name})}", status_code=303)


def _grant(role: str, scope: str) -> list[RoleGrant]:
    """The role chosen in a form, with its scope checked (RoleError); none if none."""
    if not role.strip():
        return []
    chosen = parse_role(role)
    return [RoleGrant(chosen, check_scope(chosen, scope or None))]


def _more(text: str) -> list[RoleGrant]:
    """Further roles, one a line as the command line takes them (role or role=scope)."""
    return [RoleGrant.parse(line) for line in text.splitlines() if line.strip()]


@router.get(PATH)
def users(request: Request, factory: Factory, who: SignedIn) -> Response:
    return _page(request, factory, who)


@router.post(PATH)
def add(request: Request, factory: Factory, who: SignedIn, form: Form) -> Response:
    """Add a user with its roles (as ``huiqi user add``): the one chosen, and any written
    one a line; no password: API tokens only."""
    actor = actor_of(who)
    require_page(actor, PATH)
    name = form.get("username", "")
    try:
        with transaction(factory) as s:
            added = accounts.add_user(
                s,
                actor=actor,
                username=name,
                roles=_grant(form.get("role", ""), form.get("scope", ""))
                + _more(form.get("more_roles", "")),
                password=form.get("password") or None,
                email=form.get("email") or None,
                new_departments=bool(form.get("new_department")),
            )
    except AccessDenied:
        raise
    except HuiqiError as exc:
        typed = {k: form.get(k, "")[:2000] for k in KEPT}
        return _page(
            request,
            factory,
            who,
            add_error=_refusal(request, exc),
            typed=typed,
            status_code=status_of(exc),
        )
    return _done("added", added.username)


def _row_refused(
    request: Request, factory: Factory, who: Who, name: str, exc: HuiqiError
) -> Response:
    return _page(
        request,
        factory,
        who,
        row_errors={name: _refusal(request, exc)},
        status_code=status_of(exc),
    )


def _named(form: dict[str, str]) -> str:
    """The user a row's form acts on; refused (400, not 404) when the form names none."""
    name = form.get("username", "")
    if not name:
        raise accounts.AccountError(N_("choose a user"))
    return name


@router.post(f"{PATH}/roles")
def change_roles(request: Request, factory: Factory, who: SignedIn, form: Form) -> Response:
    """Add a role to a user, or take one away (as ``huiqi user change``)."""
    actor = actor_of(who)
    require_page(actor, PATH)
    name = form.get("username", "")
    try:
        name = _named(form)
        removed = form.get("remove", "")
        role, _, scope = removed.partition("=")
        with transaction(factory) as s:
            accounts.change_user(
                s,
                actor=actor,
                username=name,
                add_roles=_grant(form.get("role", ""), form.get("scope", "")),
                remove_roles=[RoleGrant(parse_role(role), scope or None)] if removed else [],
                new_departments=bool(form.get("new_department")),
            )
    except AccessDenied:
        raise
    except HuiqiError as exc:
        return _row_refused(request, factory, who, name, exc)
    return _done("changed", name)


@router.post(f"{PATH}/disabled")
def disable(request: Request, factory: Factory, who: SignedIn, form: Form) -> Response:
    """Disable a user (its sessions and tokens are revoked) or enable it again."""
    actor = actor_of(who)
    require_page(actor, PATH)
    name = form.get("username", "")
    disabled = form.get("disabled") != "no"
    try:
        name = _named(form)
        with transaction(factory) as s:
            accounts.set_disabled(s, actor=actor, username=name, disabled=disabled)
    except AccessDenied:
        raise
    except HuiqiError as exc:
        return _row_refused(request, factory, who, name, exc)
    return _done("disabled" if disabled else "enabled", name)
