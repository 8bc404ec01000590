"""A small, real OpenID Connect provider for the sign-in tests, served over HTTP on
127.0.0.1 by uvicorn in a thread: discovery, JWKS, an authorization endpoint that
"signs in" whoever the test says and redirects back with a code, and a token endpoint
that checks the client secret and PKCE verifier and returns an RS256-signed ID token.

``Provider.tamper`` makes the next ID tokens wrong in one way (another nonce or
audience, expired, signed by another key, another issuer), so the tests can show that
huiqi refuses each.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "huiqi-portal"
CLIENT_SECRET = "test-only-secret-not-for-production"


@dataclass
class Provider:
    issuer: str
    key: RSAKey
    rogue: RSAKey  # same key id, another key: a forged signature
    user: dict[str, Any] = field(default_factory=dict)  # the claims of who signs in next
    tamper: str = ""  # "", "nonce", "audience", "expired", "signature", "issuer"
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: int = 0

    def id_token(self, grant: dict[str, str]) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.user.get("sub", "subject-1"),
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **{k: v for k, v in self.user.items() if k != "sub"},
        }
        if self.tamper == "nonce":
            claims["nonce"] = "another-nonce"
        elif self.tamper == "audience":
            claims["aud"] = "another-client"
        elif self.tamper == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        elif self.tamper == "issuer":
            claims["iss"] = "https://impostor.example"
        key = self.rogue if self.tamper == "signature" else self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def app(self) -> Starlette:
        def discovery(request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        def jwks(request: Request) -> Response:
            return JSONResponse({"keys": [self.key.as_dict(private=False)]})

        def authorize(request: Request) -> Response:
            q = request.query_params
            if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
                return JSONResponse({"error": "unauthorized_client"}, status_code=400)
            if q.get("code_challenge_method") != "S256" or "openid" not in q.get("scope", ""):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": q.get("nonce", ""),
                "challenge": q.get("code_challenge", ""),
                "redirect_uri": q.get("redirect_uri", ""),
            }
            back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
            return RedirectResponse(back, status_code=302)

        async def token(request: Request) -> Response:
            self.token_requests += 1
            form = await request.form()
            basic = request.headers.get("authorization", "")
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if basic != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.codes.pop(str(form.get("code", "")), None)
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant", "why": "PKCE"}, status_code=400)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.id_token(grant),
                }
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )


@contextmanager
def running_provider() -> Iterator[Provider]:
    """A provider listening on a free port of 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    provider = Provider(
        issuer=f"http://127.0.0.1:{port}",
        key=RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"}),
        rogue=RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"}),
    )
    server = uvicorn.Server(
        uvicorn.Config(provider.app(), log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test OpenID provider did not start")
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
