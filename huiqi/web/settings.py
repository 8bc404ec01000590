"""The portal's own settings, from the environment (the data directory and the database
come from :mod:`huiqi.config` and :mod:`huiqi.db.engine`, as for every command).

``HUIQI_WEB_SECURE_COOKIES``: ``auto`` (default: Secure when the request came over
https, as the proxy's ``X-Forwarded-Proto`` says when uvicorn trusts it), ``always``
or ``never``. ``HUIQI_WEB_LOGIN_PER_USER`` / ``_PER_USER_TOTAL`` / ``_PER_ADDRESS``: refused
sign-ins allowed per user name from one address / from all / per address within
``HUIQI_WEB_LOGIN_WINDOW_MINUTES`` (:class:`huiqi.accounts.throttle.ThrottlePolicy`).
``HUIQI_WEB_MAX_UPLOAD_MB``: the largest attachment an application accepts (default 10).
``HUIQI_OIDC_*``: the optional single sign-on (:class:`huiqi.accounts.oidc.OidcSettings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from huiqi.accounts.oidc import OidcSettings
from huiqi.accounts.throttle import ThrottlePolicy
from huiqi.config import env_int
from huiqi.errors import ConfigError

SECURE_CHOICES = ("auto", "always", "never")


@dataclass(frozen=True)
class WebSettings:
    secure_cookies: str = "auto"
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    session_days: int = 7
    max_upload_bytes: int = 10 * 1024 * 1024
    oidc: OidcSettings | None = None  # None: password sign-in only
    # How long the simulation's frame stays in memory unused (0: built for each call).
    simulation_hold_minutes: int = 15

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        e = os.environ if env is None else env
        secure = e.get("HUIQI_WEB_SECURE_COOKIES", "auto").strip().lower() or "auto"
        if secure not in SECURE_CHOICES:
            raise ConfigError(
                f"HUIQI_WEB_SECURE_COOKIES={secure!r}: use one of {', '.join(SECURE_CHOICES)}"
            )
        throttle = ThrottlePolicy.from_env(e)
        upload = env_int(e, "HUIQI_WEB_MAX_UPLOAD_MB", 10) * 1024 * 1024
        return cls(
            secure_cookies=secure,
            throttle=throttle,
            max_upload_bytes=upload,
            oidc=OidcSettings.from_env(e),
            simulation_hold_minutes=env_int(e, "HUIQI_WEB_SIMULATION_HOLD_MINUTES", 15, minimum=0),
        )
