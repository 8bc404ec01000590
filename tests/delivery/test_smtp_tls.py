"""Email over TLS against a real SMTP server (aiosmtpd) with a certificate made in the test."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from test_notify import Collector, free_port

from huiqi.delivery.channels import EmailChannel, Outgoing, SmtpTlsError, channels_from_env
from huiqi.errors import ConfigError

USER, PASSWORD = "huiqi", "s3cret pass#1"
MESSAGE = Outgoing(
    1, "email", "91310000MA1FL0000X", "granted", "主题", "正文", "k:1", 1, ("a@b.cn",)
)


class Auth:
    """aiosmtpd authenticator that records every attempt (so a test can see none was made)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.attempts.append((mechanism, ok))
        return AuthResult(success=ok)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


Serve = Callable[..., Any]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(**aiosmtpd options)`` starts a server; returns (port, collector, auth)."""
    started: list[Controller] = []

    def start(**options: Any) -> tuple[int, Collector, Auth]:
        handler, auth = Collector(), Auth()
        controller = Controller(
            handler, hostname="127.0.0.1", port=free_port(), authenticator=auth, **options
        )
        controller.start()
        started.append(controller)
        return controller.port, handler, auth

    yield start
    for controller in started:
        controller.stop()


def env(port: int, **settings: str) -> dict[str, str]:
    return {
        "HUIQI_SMTP_HOST": "127.0.0.1",
        "HUIQI_SMTP_PORT": str(port),
        "HUIQI_SMTP_FROM": "惠企 <noreply@huiqi.example>",
        **settings,
    }


def email(settings: dict[str, str]) -> EmailChannel:
    (channel,) = channels_from_env(settings)
    assert isinstance(channel, EmailChannel)
    channel.timeout = 5
    return channel


def test_starttls_with_login_and_a_password_file(
    serve: Serve, server_context: ssl.SSLContext, ca_file: str, tmp_path: Path
) -> None:
    port, handler, auth = serve(
        tls_context=server_context, require_starttls=True, auth_required=True
    )
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    channel = email(
        env(
            port,
            HUIQI_SMTP_CA_FILE=ca_file,
            HUIQI_SMTP_USER=USER,
            HUIQI_SMTP_PASSWORD_FILE=str(secret),
        )
    )
    assert channel.tls == "starttls"  # the default
    channel.send(MESSAGE)
    assert [m["Subject"] for m in handler.messages] == ["主题"]
    assert auth.attempts == [("LOGIN", True)] or auth.attempts == [("PLAIN", True)]


def test_implicit_tls_with_login(
    serve: Serve, server_context: ssl.SSLContext, ca_file: str
) -> None:
    # aiosmtpd cannot tell that an implicit-TLS connection is encrypted, so it must be
    # told to offer AUTH; the client only ever speaks TLS to it.
    port, handler, auth = serve(ssl_context=server_context, auth_require_tls=False)
    channel = email(
        env(
            port,
            HUIQI_SMTP_TLS="implicit",
            HUIQI_SMTP_CA_FILE=ca_file,
            HUIQI_SMTP_USER=USER,
            HUIQI_SMTP_PASSWORD=PASSWORD,
        )
    )
    channel.send(MESSAGE)
    assert len(handler.messages) == 1
    assert [ok for _, ok in auth.attempts] == [True]


def test_implicit_tls_port_defaults_to_465() -> None:
    settings = env(0, HUIQI_SMTP_TLS="implicit")
    del settings["HUIQI_SMTP_PORT"]
    assert email(settings).port == 465
    del settings["HUIQI_SMTP_TLS"]
    assert email(settings).port == 587


def test_server_without_starttls_gets_neither_mail_nor_password(serve: Serve) -> None:
    # A plain server that would even accept a login in clear text.
    port, handler, auth = serve(auth_require_tls=False)
    channel = email(env(port, HUIQI_SMTP_USER=USER, HUIQI_SMTP_PASSWORD=PASSWORD))
    with pytest.raises(SmtpTlsError, match="does not offer STARTTLS") as err:
        channel.send(MESSAGE)
    assert "HUIQI_SMTP_TLS" in str(err.value)
    assert handler.messages == [] and auth.attempts == []


def test_untrusted_certificate_is_refused_with_a_hint(
    serve: Serve, server_context: ssl.SSLContext
) -> None:
    port, handler, auth = serve(tls_context=server_context, require_starttls=True)
    channel = email(env(port, HUIQI_SMTP_USER=USER, HUIQI_SMTP_PASSWORD=PASSWORD))
    with pytest.raises(SmtpTlsError, match="HUIQI_SMTP_CA_FILE"):
        channel.send(MESSAGE)
    assert handler.messages == [] and auth.attempts == []


def test_plain_text_only_when_chosen_and_never_with_a_password(serve: Serve) -> None:
    port, handler, _ = serve()
    email(env(port, HUIQI_SMTP_TLS="none")).send(MESSAGE)
    assert len(handler.messages) == 1
    with pytest.raises(ConfigError, match="will not send the SMTP password"):
        channels_from_env(
            env(port, HUIQI_SMTP_TLS="none", HUIQI_SMTP_USER=USER, HUIQI_SMTP_PASSWORD=PASSWORD)
        )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"HUIQI_SMTP_TLS": "ssl"}, "HUIQI_SMTP_TLS='ssl' is not one of starttls, implicit, none"),
        ({"HUIQI_SMTP_CA_FILE": "/nonexistent/ca.pem"}, "HUIQI_SMTP_CA_FILE=/nonexistent/ca.pem"),
        (
            {"HUIQI_SMTP_TLS": "none", "HUIQI_SMTP_CA_FILE": "/x.pem"},
            "HUIQI_SMTP_CA_FILE is set but HUIQI_SMTP_TLS=none",
        ),
        (
            {"HUIQI_SMTP_USER": "u", "HUIQI_SMTP_PASSWORD": "p", "HUIQI_SMTP_PASSWORD_FILE": "/p"},
            "both HUIQI_SMTP_PASSWORD and HUIQI_SMTP_PASSWORD_FILE are set",
        ),
        (
            {"HUIQI_SMTP_USER": "u", "HUIQI_SMTP_PASSWORD_FILE": "/nonexistent/pw"},
            "HUIQI_SMTP_PASSWORD_FILE=/nonexistent/pw cannot be read",
        ),
    ],
)
def test_bad_tls_settings_are_refused(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        channels_from_env(env(25, **settings))
    assert message in str(err.value)


def test_repr_never_shows_the_password() -> None:
    channel = email(env(25, HUIQI_SMTP_USER=USER, HUIQI_SMTP_PASSWORD=PASSWORD))
    assert PASSWORD not in repr(channel)
