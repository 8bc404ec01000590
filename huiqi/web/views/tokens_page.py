"""The officer console's API tokens page, for admins: every token (never its secret) with
its user, kind, expiry and last use; a form to issue one for a user (a machine client such
as another government system, or the scheduler), its secret shown once on the answer; and
a button on each active token to revoke it. Each action is one service call
(:mod:`huiqi.accounts.tokens`), which checks the admin role and records the audit event.

Regression (qa4): the users page offered accounts that "sign in with API tokens only", but
no page issued, listed or revoked a token: only ``huiqi token create --user``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.accounts import tokens
from huiqi.accounts.access import AccessDenied
from huiqi.accounts.service import AccountError
from huiqi.db.engine import reading, transaction
from huiqi.errors import HuiqiError
from huiqi.web import i18n
from huiqi.web.account_texts import account_message
from huiqi.web.console_pages import require_page
from huiqi.web.deps import Factory, SignedIn, Who, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
PATH = "/console/tokens"
Id = Annotated[int, Path(ge=1, le=2**62)]
KEPT = ("username", "name", "days")  # what a refused issue keeps of its form


def _page(
    request: Request,
    factory: Factory,
    who: Who,
    *,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(who)
    require_page(actor, PATH)
    with reading(factory) as s:
        listed = tokens.list_tokens(s, actor=actor, username="*")
    context: dict[str, Any] = {
        # API tokens only: a sign-in's session (kind "login") ends by signing out, or by
        # disabling its user; listing every browser's session buried the tokens.
        "tokens": sorted(
            (t for t in listed if t.kind == "api"), key=lambda t: (not t.active, -t.id)
        ),
        "days": tokens.API_DAYS,
        "max_days": tokens.MAX_TOKEN_DAYS,
        "typed": {},
        "done": request.query_params.get("done"),
        "done_name": request.query_params.get("name", ""),
        **(extra or {}),
    }
    return page(request, "console_tokens.html", context, status_code=status_code)


@router.get(PATH)
def tokens_page(request: Request, factory: Factory, who: SignedIn) -> Response:
    return _page(request, factory, who)


def _days(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= tokens.MAX_TOKEN_DAYS:
        raise AccountError(N_("give the token's lifetime in whole days, from 1 to 366"))
    return int(value)


@router.post(PATH)
def issue(request: Request, factory: Factory, who: SignedIn, form: Form) -> Response:
    """Issue a token for a user (as ``huiqi token create --user``); the answer shows its
    secret, once: it is stored only hashed (not a redirect, which would have to keep it)."""
    actor = actor_of(who)
    require_page(actor, PATH)
    try:
        name = form.get("name", "").strip()
        if not name:
            raise AccountError(N_("name the token after the client that will use it"))
        with transaction(factory) as s:
            made, secret = tokens.create_token(
                s,
                actor=actor,
                name=name,
                days=_days(form.get("days", "")),
                username=form.get("username", "").strip() or actor.username,
            )
    except AccessDenied:
        raise
    except HuiqiError as exc:
        typed = {k: form.get(k, "")[:200] for k in KEPT}
        catalogue = i18n.translations(i18n.choose(request.cookies.get(i18n.COOKIE)))
        extra = {"token_error": account_message(catalogue, str(exc)), "typed": typed}
        return _page(request, factory, who, extra=extra, status_code=status_of(exc))
    return _page(request, factory, who, extra={"made": made, "secret": secret})


@router.post(PATH + "/{token_id}/revoke")
def revoke(factory: Factory, who: SignedIn, token_id: Id, form: Form) -> Response:
    """Revoke a token (as ``huiqi token revoke``); revoking it again changes nothing."""
    actor = actor_of(who)
    require_page(actor, PATH)
    with transaction(factory) as s:
        done = tokens.revoke_token(s, actor=actor, token_id=token_id)
    query = urlencode({"done": "revoked", "name": done.name[:100]})
    return RedirectResponse(f"{PATH}?{query}", status_code=303)
