"""Session cookies and CSRF tokens.

The session cookie holds the secret of a sign-in token (``huiqi.accounts.tokens``):
HttpOnly, SameSite=Lax, Secure over https. A form's CSRF token is derived from that
secret (an HMAC), so every worker process can check it with nothing stored; before
sign-in (the sign-in form itself) it is a random value also kept in a cookie
(double submit). A page receives the token in a hidden field, and scripts send it as
the ``X-CSRF-Token`` header.

Every state-changing request that the cookie authenticates (a form, or an API call
without a bearer token) must also come from this site: a browser names the page that
made a request in its ``Origin`` header (else ``Referer``), and one naming another site
(or ``null``: a sandboxed frame, a redirect chain) is refused whatever token it carries.
A bearer token is not sent by a browser on its own, so API calls with one are not
concerned.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response

SESSION_COOKIE = "huiqi_session"
PRE_COOKIE = "huiqi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def derive(secret: str) -> str:
    """The CSRF token of a session: HMAC-SHA256 of a fixed label under the session secret."""
    return hmac.new(secret.encode(), b"huiqi-csrf", hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token a form of this request must send back (made once per request)."""
    cached = getattr(request.state, "csrf", None)
    if cached:
        return str(cached)
    session = request.cookies.get(SESSION_COOKIE)
    token = derive(session) if session else request.cookies.get(PRE_COOKIE) or ""
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_pre_csrf = token
    request.state.csrf = token
    return token


def from_this_site(request: Request) -> bool:
    """Whether the page that made this request is one of this site's: its ``Origin`` (else
    its ``Referer``) names the host the request was sent to. A request naming neither (not
    from a browser) passes: the CSRF token is its check."""
    named = request.headers.get("origin") or request.headers.get("referer")
    if named is None:
        return True
    host = request.headers.get("host", "").lower()
    # Scheme and host as the browser saw them; the scheme is not compared, so that a proxy
    # ending TLS in front of huiqi changes nothing (cookies are Secure over https).
    netloc = urlsplit(named.strip()).netloc.lower() if named.strip() != "null" else ""
    return bool(netloc) and netloc == host


def csrf_ok(request: Request, sent: str | None) -> bool:
    """Whether the request comes from this site (``from_this_site``) and ``sent`` is its
    token (constant-time comparison)."""
    if not from_this_site(request):
        return False
    session = request.cookies.get(SESSION_COOKIE)
    expected = derive(session) if session else request.cookies.get(PRE_COOKIE)
    # As bytes: compare_digest refuses str with non-ASCII characters (TypeError), and a
    # tampered form's token with one was a 500.
    return bool(expected and sent) and hmac.compare_digest(
        str(expected).encode(), str(sent).encode()
    )


def secure(request: Request, mode: str) -> bool:
    if mode == "always":
        return True
    if mode == "never":
        return False
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, mode: str, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure(request, mode),
        path="/",
    )


def remember_pre_csrf(response: Response, request: Request, mode: str) -> None:
    """Set the pre-sign-in CSRF cookie when this request made a new token."""
    token = getattr(request.state, "new_pre_csrf", None)
    if token:
        set_cookie(response, request, mode, PRE_COOKIE, token, max_age=86_400)
