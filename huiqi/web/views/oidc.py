"""Sign-in through an OpenID Connect single sign-on (政务统一身份认证), when configured.

``GET /login/oidc`` sends the browser to the provider with a fresh state, nonce and
PKCE verifier, kept in a short-lived HttpOnly cookie; ``GET /login/oidc/callback``
checks them, lets :class:`huiqi.accounts.oidc.OidcClient` redeem the code and verify
the ID token, and signs in the huiqi account the configured claim names
(:func:`huiqi.accounts.tokens.sign_in_federated`): the same session cookie, throttle
and audit events as the password form. Any refusal shows the sign-in page with the
reason; no account is created.
"""

from __future__ import annotations

import base64
import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.oidc import OidcClient, OidcRefused, Pending
from huiqi.accounts.throttle import SignInThrottled, check_sign_in_allowed
from huiqi.accounts.tokens import record_refusal, sign_in_federated
from huiqi.db.engine import transaction
from huiqi.errors import NotFoundError
from huiqi.web.console_pages import landing
from huiqi.web.deps import Factory, Viewer, Web
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.security import PRE_COOKIE, SESSION_COOKIE, set_cookie
from huiqi.web.views.forms import local_path

router = APIRouter(include_in_schema=False)
FLOW_COOKIE = "huiqi_oidc"
FLOW_SECONDS = 600  # the time a user has at the provider
SSO_NAME = "(single sign-on)"  # the actor of refusals before a name is known
PROVIDER = "OpenID Connect"


def oidc_client(request: Request) -> OidcClient:
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        raise NotFoundError("single sign-on is not configured here (HUIQI_OIDC_ISSUER)")
    return client


def _encode(pending: Pending, target: str) -> str:
    data = {**pending.__dict__, "next": target}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _decode(raw: str | None) -> tuple[Pending | None, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode((raw or "").encode()))
        pending = Pending(
            str(data["state"]), str(data["nonce"]), str(data["verifier"]), str(data["redirect_uri"])
        )
        return pending, local_path(str(data.get("next") or "/"))
    except (ValueError, KeyError, TypeError):
        return None, "/"


def _refused(request: Request, target: str, message: str, status_code: int) -> Response:
    context = {"next": target, "errors": {}, "username": "", "sso_error": message}
    response = page(request, "login.html", context, status_code=status_code)
    response.delete_cookie(FLOW_COOKIE, path="/")
    return response


@router.get("/login/oidc")
def oidc_start(request: Request, who: Viewer, web: Web, next: str = "/") -> Response:
    client = oidc_client(request)
    target = local_path(next)
    if who.actor is not None:
        return RedirectResponse(target, status_code=303)
    redirect_uri = client.settings.redirect_uri or str(request.url_for("oidc_callback"))
    try:
        url, pending = client.begin(redirect_uri)
    except OidcRefused as exc:
        return _refused(request, target, str(exc), 502)
    response = RedirectResponse(url, status_code=303)
    set_cookie(
        response,
        request,
        web.secure_cookies,
        FLOW_COOKIE,
        _encode(pending, target),
        max_age=FLOW_SECONDS,
    )
    return response


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(
    request: Request,
    factory: Factory,
    web: Web,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    client = oidc_client(request)
    pending, target = _decode(request.cookies.get(FLOW_COOKIE))
    address = request.client.host if request.client else None
    with transaction(factory) as s:
        try:
            check_sign_in_allowed(s, username=None, address=address, policy=web.throttle)
        except SignInThrottled as exc:
            throttled = _refused(
                request, target, N_("Too many failed sign-ins. Please wait and try again."), 429
            )
            throttled.headers["Retry-After"] = str(exc.retry_after)
            return throttled
    try:
        if error:
            raise OidcRefused(f"the sign-on provider answered '{error[:100]}'")
        if pending is None:
            raise OidcRefused("this sign-in has expired or was not started here; start again")
        identity = client.finish(pending, state=state[:200], code=code[:2000])
    except OidcRefused as exc:
        with transaction(factory) as s:
            why = f"{PROVIDER}: {exc}"[:500]
            record_refusal(s, name=SSO_NAME, user=None, client="web", address=address, why=why)
        return _refused(request, target, str(exc), 403)
    secret = None
    refusal, status, retry_after = "", 403, 0
    with transaction(factory) as s:
        try:
            check_sign_in_allowed(
                s, username=identity.username, address=address, policy=web.throttle
            )
            actor, secret = sign_in_federated(
                s,
                username=identity.username,
                provider=PROVIDER,
                client="web",
                days=web.session_days,
                address=address,
                detail={"iss": identity.issuer, "sub": identity.subject},
            )
        except SignInThrottled as exc:
            refusal, status, retry_after = (
                N_("Too many failed sign-ins. Please wait and try again."),
                429,
                exc.retry_after,
            )
        except AccessDenied as exc:  # its refusal events commit with this transaction
            refusal = str(exc)
    if secret is None:
        refused = _refused(request, target, refusal, status)
        if retry_after:
            refused.headers["Retry-After"] = str(retry_after)
        return refused
    home = landing(actor)
    response = RedirectResponse(target if target != "/" else home, status_code=303)
    set_cookie(
        response,
        request,
        web.secure_cookies,
        SESSION_COOKIE,
        secret,
        max_age=web.session_days * 86_400,
    )
    response.delete_cookie(PRE_COOKIE, path="/")
    response.delete_cookie(FLOW_COOKIE, path="/")
    return response
