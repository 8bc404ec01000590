"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.throttle import SignInThrottled, check_sign_in_allowed
from huiqi.accounts.tokens import sign_in, sign_out
from huiqi.db.engine import transaction
from huiqi.web import i18n
from huiqi.web.console_pages import landing
from huiqi.web.deps import Factory, Viewer, Web
from huiqi.web.i18n import N_
from huiqi.web.render import page
from huiqi.web.security import PRE_COOKIE, SESSION_COOKIE, set_cookie
from huiqi.web.views.forms import Form, local_path

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, who: Viewer, next: str = "/") -> Response:
    if who.actor is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return page(request, "login.html", {"next": local_path(next), "errors": {}, "username": ""})


@router.post("/login")
def login(request: Request, factory: Factory, web: Web, form: Form) -> Response:
    # No user name holds a NUL, and PostgreSQL cannot even compare one (huiqi.db.nul would
    # refuse the look-up): such a name is a wrong one, refused and counted like any other.
    username = form.get("username", "").strip()[:64].replace("\x00", "\ufffd")
    password = form.get("password", "")
    target = local_path(form.get("next"))
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = N_("Enter your user name.")
    if not password:
        errors["password"] = N_("Enter your password.")
    secret = None
    retry_after = None
    signed_in = None
    if not errors:
        address = request.client.host if request.client else None
        with transaction(factory) as s:
            try:
                check_sign_in_allowed(s, username=username, address=address, policy=web.throttle)
                actor, secret = sign_in(
                    s,
                    username=username,
                    password=password,
                    client="web",
                    days=web.session_days,
                    address=address,
                )
                signed_in = actor
            except SignInThrottled as exc:
                errors["password"] = N_("Too many failed sign-ins. Please wait and try again.")
                retry_after = exc.retry_after
            except AccessDenied:
                # The refusal's events commit with this transaction (the throttle counts them).
                errors["password"] = N_(
                    "Wrong user name or password. Check both (letter case counts) and try"
                    " again; if the password is forgotten, ask your administrator to set a"
                    " new one."
                )
    if secret is None:
        refused = page(
            request,
            "login.html",
            {"next": target, "errors": errors, "username": username},
            status_code=429 if retry_after else 400,
        )
        if retry_after:
            refused.headers["Retry-After"] = str(retry_after)
        return refused
    home = landing(signed_in)
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
    return response


@router.post("/logout")
def logout(request: Request, factory: Factory, form: Form) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with transaction(factory) as s:
            sign_out(s, secret=secret)
    response = RedirectResponse("/policies", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, web: Web, code: str, next: str = "/") -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    set_cookie(
        response, request, web.secure_cookies, i18n.COOKIE, i18n.choose(code), max_age=31_536_000
    )
    return response
