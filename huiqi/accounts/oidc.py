"""OpenID Connect sign-in (a government single sign-on), the relying party's side.

The authorization code flow with PKCE: :meth:`OidcClient.begin` makes the provider's
authorization URL with a fresh ``state``, ``nonce`` and code verifier (the caller keeps
them until the provider sends the browser back); :meth:`OidcClient.finish` checks the
returned ``state``, exchanges the code for tokens (Authlib's OAuth 2.0 client) and
verifies the ID token (joserfc): its signature against the provider's JWKS, the
issuer, the audience (this client id), the expiry and the nonce. What comes back is
the huiqi user name the configured claim names; whether such an account exists and
may sign in is :func:`huiqi.accounts.tokens.sign_in_federated`'s decision.

Configuration (``HUIQI_OIDC_*``, see :meth:`OidcSettings.from_env`): the client secret
comes from the environment only, never from a file in the repository.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from huiqi.accounts.access import AccessDenied
from huiqi.errors import ConfigError

DISCOVERY_PATH = "/.well-known/openid-configuration"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
LEEWAY_SECONDS = 60
CACHE_SECONDS = 3600
REFETCH_SECONDS = 60  # an unknown key id fetches the JWKS again at most this often
TIMEOUT_SECONDS = 10.0


class OidcRefused(AccessDenied):
    """The single sign-on did not prove who the user is (state, token or claims wrong)."""


@dataclass(frozen=True)
class OidcSettings:
    """Where the provider is and who this client is (``HUIQI_OIDC_*``)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    discovery_url: str = ""
    scopes: str = "openid profile"
    username_claim: str = "preferred_username"
    redirect_uri: str = ""  # empty: this site's /login/oidc/callback, as the request sees it

    @property
    def discovery(self) -> str:
        return self.discovery_url or self.issuer.rstrip("/") + DISCOVERY_PATH

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OidcSettings | None:
        """The settings, or None when ``HUIQI_OIDC_ISSUER`` is unset (password sign-in only)."""
        e = os.environ if env is None else env
        issuer = e.get("HUIQI_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        client_id = e.get("HUIQI_OIDC_CLIENT_ID", "").strip()
        secret = e.get("HUIQI_OIDC_CLIENT_SECRET", "")
        if not client_id or not secret:
            raise ConfigError(
                "HUIQI_OIDC_ISSUER is set, so HUIQI_OIDC_CLIENT_ID and HUIQI_OIDC_CLIENT_SECRET"
                " must be too (the secret from the environment, never from a file in the"
                " repository)"
            )
        scopes = e.get("HUIQI_OIDC_SCOPES", "").strip() or "openid profile"
        if "openid" not in scopes.split():
            raise ConfigError(f"HUIQI_OIDC_SCOPES={scopes!r} must include 'openid'")
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            discovery_url=e.get("HUIQI_OIDC_DISCOVERY_URL", "").strip(),
            scopes=scopes,
            username_claim=e.get("HUIQI_OIDC_USERNAME_CLAIM", "").strip() or "preferred_username",
            redirect_uri=e.get("HUIQI_OIDC_REDIRECT_URI", "").strip(),
        )


@dataclass(frozen=True)
class Pending:
    """What the relying party keeps between sending the browser away and its return."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class Identity:
    """A verified ID token: the huiqi user name it maps to, and who vouched for it."""

    username: str
    subject: str
    issuer: str


class OidcClient:
    """One provider's discovery document and keys (cached), and the two steps of a sign-in."""

    def __init__(self, settings: OidcSettings, *, refetch_seconds: float = REFETCH_SECONDS) -> None:
        self.settings = settings
        self.refetch_seconds = refetch_seconds
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0
        self._keys_fetched = -float(refetch_seconds)

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused(f"the sign-on provider could not be reached ({url}): {exc}") from None
        if not isinstance(data, dict):
            raise OidcRefused(f"the sign-on provider answered {url} with no JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, checked to name the configured issuer."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched > CACHE_SECONDS:
                meta = self._get(self.settings.discovery)
                if meta.get("issuer") != self.settings.issuer:
                    raise OidcRefused(
                        f"the discovery document names issuer {meta.get('issuer')!r}, not the"
                        f" configured {self.settings.issuer!r}; check HUIQI_OIDC_ISSUER"
                    )
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(meta.get(key), str):
                        raise OidcRefused(f"the discovery document has no {key}")
                self._metadata, self._keys, self._fetched = meta, None, time.monotonic()
            return self._metadata

    def keys(self, kid: str | None) -> KeySet:
        """The provider's signing keys; fetched again when a key id is not among them (the
        provider rotated its keys), at most once a minute (forged key ids cost nothing)."""
        meta = self.metadata()
        with self._lock:
            known = self._keys is not None and (
                kid is None or any(k.kid == kid for k in self._keys.keys)
            )
            recent = time.monotonic() - self._keys_fetched < self.refetch_seconds
            if self._keys is None or (not known and not recent):
                try:
                    self._keys = KeySet.import_key_set(self._get(meta["jwks_uri"]))  # type: ignore[arg-type]
                except (JoseError, ValueError, KeyError, TypeError) as exc:
                    raise OidcRefused(
                        f"the sign-on provider's JWKS cannot be read: {exc}"
                    ) from None
                self._keys_fetched = time.monotonic()
            return self._keys

    def _session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scope=self.settings.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    def begin(self, redirect_uri: str) -> tuple[str, Pending]:
        """The provider's authorization URL, and what to keep until the browser returns."""
        meta = self.metadata()
        pending = Pending(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            redirect_uri=redirect_uri,
        )
        with self._session(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                meta["authorization_endpoint"],
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.verifier,
            )
        return url, pending

    def finish(self, pending: Pending, *, state: str, code: str) -> Identity:
        """Check the returned state, redeem the code and verify the ID token."""
        # As bytes: compare_digest refuses str with non-ASCII characters (a tampered state).
        if not state or not secrets.compare_digest(state.encode(), pending.state.encode()):
            raise OidcRefused("the sign-on answer does not belong to this sign-in (state)")
        if not code:
            raise OidcRefused("the sign-on provider returned no authorization code")
        meta = self.metadata()
        try:
            with self._session(pending.redirect_uri) as client:
                tokens = client.fetch_token(
                    meta["token_endpoint"],
                    code=code,
                    code_verifier=pending.verifier,
                    timeout=TIMEOUT_SECONDS,
                )
        except Exception as exc:  # Authlib raises its own errors and httpx's alike
            raise OidcRefused(
                f"the sign-on provider refused the authorization code: {exc}"
            ) from None
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused("the sign-on provider sent no ID token")
        return self.verify(id_token, nonce=pending.nonce)

    def verify(self, id_token: str, *, nonce: str) -> Identity:
        """The identity an ID token proves: signature (JWKS), issuer, audience, expiry, nonce."""
        try:
            kid = extract_compact(id_token.encode()).protected.get("kid")
        except (JoseError, ValueError):
            raise OidcRefused("the ID token is not a signed JWT") from None
        try:
            token = jwt.decode(id_token, self.keys(kid), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise OidcRefused(f"the ID token's signature does not verify: {exc}") from None
        claims = token.claims
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise OidcRefused(f"the ID token is not valid for this sign-in: {exc}") from None
        azp = claims.get("azp")
        if isinstance(claims.get("aud"), list) and azp not in (None, self.settings.client_id):
            raise OidcRefused(f"the ID token was issued to another client ({azp})")
        name = claims.get(self.settings.username_claim)
        if not isinstance(name, str) or not name.strip():
            raise OidcRefused(
                f"the ID token has no '{self.settings.username_claim}' claim to name the huiqi"
                " account (HUIQI_OIDC_USERNAME_CLAIM)"
            )
        if not name.strip().isprintable():
            # No huiqi account has such a name (accounts refuse them), and PostgreSQL cannot
            # even look up a NUL: refused here, as any other unusable identity.
            raise OidcRefused(
                f"the ID token's '{self.settings.username_claim}' claim holds a control"
                " character, which no huiqi account name has"
            )
        return Identity(name.strip()[:64], str(claims["sub"]), str(claims["iss"]))
