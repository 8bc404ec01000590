"""Notification channels: where an outbox row goes once it leaves the database.

A channel has a ``name`` (the ``notifications.channel`` value it serves) and a
``send(outgoing)`` that returns on success and raises on failure. Raising
:class:`PermanentDeliveryError` says "retrying cannot help" (no recipient, the
server refused the address) and the row is marked failed at once; any other
exception is treated as transient and the row is retried by a later run.

The in-app inbox is not a channel: its row is the message and is written as
sent by :func:`huiqi.delivery.notify.enqueue`.
"""

from __future__ import annotations

import email.policy
import hashlib
import json
import logging
import os
import smtplib
import ssl
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Protocol

from huiqi.config import read_secret
from huiqi.errors import ConfigError
from huiqi.fsmode import open_private

INBOX = "inbox"
LOGGER_NAME = "huiqi.notify"


class PermanentDeliveryError(Exception):
    """A failure that another attempt cannot fix; the row is marked failed at once."""


class NoRecipientError(PermanentDeliveryError):
    """The enterprise has no address on this channel."""


@dataclass(frozen=True)
class Outgoing:
    """One claimed outbox row, as a channel sees it (no database access needed)."""

    notification_id: int
    channel: str
    uscc: str
    kind: str
    subject: str
    body: str
    dedupe_key: str
    attempt: int
    emails: tuple[str, ...] = ()


class Channel(Protocol):
    """Something that delivers an :class:`Outgoing` message or raises."""

    @property
    def name(self) -> str: ...

    def send(self, message: Outgoing) -> None: ...


class LogChannel:
    """Development channel: one JSON line per message to a logger and, optionally, a file."""

    name = "log"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, name: str = "log") -> None:
        self.name = name
        self.path = Path(path) if path is not None else None
        self._logger = logging.getLogger(LOGGER_NAME)
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> None:
        line = json.dumps(
            {
                "id": message.notification_id,
                "dedupe_key": message.dedupe_key,
                "uscc": message.uscc,
                "kind": message.kind,
                "subject": message.subject,
                "body": message.body,
                "attempt": message.attempt,
            },
            ensure_ascii=False,
        )
        self._logger.info("notification %s", line)
        if self.path is not None:
            with self._lock, open_private(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def message_id(dedupe_key: str, domain: str) -> str:
    """A stable Message-ID for an outbox row: the same key always gives the same id.

    >>> message_id("grant:1:email", "gov.example")
    '<huiqi.f9374140ab4c6defff43a15ed7a36a5c@gov.example>'
    """
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"<huiqi.{digest}@{domain}>"


TLS_PORTS = {"starttls": 587, "implicit": 465, "none": 25}


class SmtpTlsError(OSError):
    """TLS to the SMTP server could not be set up, so nothing was sent (retried later)."""


class EmailChannel:
    """Email over SMTP (smtplib), one connection per message.

    ``tls`` is ``starttls`` (the default: plain connection upgraded before anything
    else is said, usually port 587), ``implicit`` (TLS from the first byte, usually
    port 465) or ``none`` (clear text, for a trusted relay; no login is allowed
    then, so a password never crosses the network readable). The server's
    certificate is checked against the system's CAs, or only against ``ca_file``
    when given (a private CA). A server that does not offer STARTTLS gets
    nothing: huiqi never falls back to clear text.

    Recipients are the email addresses of the enterprise's users (role
    ``enterprise``), resolved by the sender into ``Outgoing.emails``. The
    Message-ID is derived from the row's dedupe key, so if a sender crashes
    after the server accepted a message but before the row was marked sent, the
    resend carries the same Message-ID and mail clients can recognise it as a
    duplicate. SMTP gives no way to ask whether a message was already accepted,
    so that window is narrowed, not closed.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int | None = None,
        sender: str,
        tls: str = "starttls",
        ca_file: str | os.PathLike[str] | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        name: str = "email",
    ) -> None:
        if tls not in TLS_PORTS:
            raise ConfigError(
                f"HUIQI_SMTP_TLS={tls!r} is not one of starttls, implicit, none; use starttls"
                " (port 587), implicit (port 465) or, for a trusted relay, none."
            )
        if (username is None) != (password is None):
            raise ConfigError(
                "SMTP login needs both a user and a password; set both HUIQI_SMTP_USER "
                "and HUIQI_SMTP_PASSWORD (or HUIQI_SMTP_PASSWORD_FILE), or neither."
            )
        if tls == "none" and username is not None:
            raise ConfigError(
                "HUIQI_SMTP_TLS=none sends everything in clear text, so huiqi will not send the"
                " SMTP password over it; use HUIQI_SMTP_TLS=starttls or implicit, or unset"
                " HUIQI_SMTP_USER and the password for a relay that needs no login."
            )
        if tls == "none" and ca_file is not None:
            raise ConfigError(
                "HUIQI_SMTP_CA_FILE is set but HUIQI_SMTP_TLS=none; a CA is only used with TLS,"
                " so choose starttls or implicit, or unset HUIQI_SMTP_CA_FILE."
            )
        self.name = name
        self.host = host
        self.port = TLS_PORTS[tls] if port is None else port
        self.sender = sender
        self.tls = tls
        self.username = username
        self.password = password
        self.timeout = timeout
        self._context = None if tls == "none" else _tls_context(ca_file)
        address = parseaddr(sender)[1]
        self.domain = address.rpartition("@")[2] or "huiqi.localhost"

    def __repr__(self) -> str:  # never show the password
        return (
            f"EmailChannel(host={self.host!r}, port={self.port}, tls={self.tls!r},"
            f" sender={self.sender!r})"
        )

    def build(self, message: Outgoing) -> EmailMessage:
        """The MIME message for a claimed row (UTF-8; headers RFC 2047-encoded)."""
        if not message.emails:
            raise NoRecipientError(
                f"no email address for enterprise {message.uscc}: no user with role "
                "'enterprise' and an email is registered for it. The message stays in its"
                " inbox; for the messages that follow, register an address"
                " ('huiqi user change USERNAME --email ADDRESS')."
            )
        mime = EmailMessage(policy=email.policy.SMTP)
        mime["From"] = self.sender
        mime["To"] = ", ".join(message.emails)
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False, usegmt=True)
        mime["Message-ID"] = message_id(message.dedupe_key, self.domain)
        mime["X-Huiqi-Kind"] = message.kind
        # base64 keeps the message 7-bit clean for relays without 8BITMIME.
        mime.set_content(message.body, charset="utf-8", cte="base64")
        return mime

    def _connect(self, where: str) -> smtplib.SMTP:
        """A connection, encrypted as configured, before anything else is sent."""
        if self.tls == "implicit":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.tls == "none":
            return smtp
        try:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise SmtpTlsError(
                    f"{where} does not offer STARTTLS, and huiqi never sends mail or a password"
                    " in clear text; enable STARTTLS on the server, set HUIQI_SMTP_TLS=implicit"
                    " for a server that speaks TLS from the start (port 465), or"
                    " HUIQI_SMTP_TLS=none for a trusted relay that needs no login."
                )
            smtp.starttls(context=self._context)
        except smtplib.SMTPResponseException as exc:
            smtp.close()
            raise SmtpTlsError(
                f"{where} refused STARTTLS: {exc.smtp_code} {_text(exc.smtp_error)};"
                " nothing was sent"
            ) from exc
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: Outgoing) -> None:
        mime = self.build(message)
        where = f"SMTP server {self.host}:{self.port}"
        try:
            with self._connect(where) as smtp:
                if self.username is not None and self.password is not None:
                    smtp.login(self.username, self.password)
                smtp.send_message(mime)
        except SmtpTlsError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise SmtpTlsError(
                f"{where}: its TLS certificate is not trusted ({exc.verify_message}); nothing was"
                " sent. If a private CA signed it, set HUIQI_SMTP_CA_FILE to that CA's"
                " certificate (PEM)."
            ) from exc
        except ssl.SSLError as exc:
            raise SmtpTlsError(
                f"{where}: TLS failed ({exc}); nothing was sent. Check HUIQI_SMTP_TLS:"
                " starttls is usually port 587, implicit port 465."
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are a setting to fix, not a verdict on this message: retry later.
            raise OSError(
                f"{where} refused the login of HUIQI_SMTP_USER={self.username!r}:"
                f" {exc.smtp_code} {_text(exc.smtp_error)}; check the user and password"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            answers = "; ".join(
                f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items()
            )
            error = PermanentDeliveryError if _all_permanent(exc.recipients.values()) else OSError
            raise error(f"{where} refused every recipient: {answers}") from exc
        except smtplib.SMTPResponseException as exc:
            error = PermanentDeliveryError if exc.smtp_code >= 500 else OSError
            raise error(f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise OSError(f"{where} unreachable or failed: {type(exc).__name__}: {exc}") from exc


def _tls_context(ca_file: str | os.PathLike[str] | None) -> ssl.SSLContext:
    """Certificate and host name checked: against the system's CAs, or only ``ca_file``."""
    if ca_file is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=os.fspath(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"HUIQI_SMTP_CA_FILE={os.fspath(ca_file)} cannot be used ({exc}); give the PEM"
            " certificate of the CA that signed the SMTP server's certificate."
        ) from None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _all_permanent(answers: Iterable[tuple[int, bytes]]) -> bool:
    return all(code >= 500 for code, _ in answers)


def channels_from_env(environ: Mapping[str, str] | None = None) -> list[Channel]:
    """The external channels configured in the environment.

    ``HUIQI_SMTP_HOST`` enables email, with ``HUIQI_SMTP_FROM`` (required),
    ``HUIQI_SMTP_TLS`` (``starttls`` by default, ``implicit`` or ``none``),
    ``HUIQI_SMTP_PORT`` (default 587, 465 with implicit TLS, 25 without TLS),
    ``HUIQI_SMTP_CA_FILE`` (trust this CA instead of the system's), and
    ``HUIQI_SMTP_USER`` with ``HUIQI_SMTP_PASSWORD`` or ``HUIQI_SMTP_PASSWORD_FILE``
    (both or neither; there is no default secret). ``HUIQI_NOTIFY_LOG`` adds a log
    channel writing to that file. Without SMTP the log channel is always on
    (development), writing to the logger only unless ``HUIQI_NOTIFY_LOG`` gives a file.
    """
    env = os.environ if environ is None else environ
    channels: list[Channel] = []
    host = env.get("HUIQI_SMTP_HOST", "").strip()
    log_path = env.get("HUIQI_NOTIFY_LOG", "").strip() or None
    if host:
        sender = env.get("HUIQI_SMTP_FROM", "").strip()
        if not sender:
            raise ConfigError(
                "HUIQI_SMTP_HOST is set but HUIQI_SMTP_FROM is not; set the sender address, "
                "e.g. HUIQI_SMTP_FROM='惠企 <noreply@example.gov.cn>'."
            )
        tls = env.get("HUIQI_SMTP_TLS", "").strip().lower() or "starttls"
        raw_port = env.get("HUIQI_SMTP_PORT", "").strip()
        try:
            port = int(raw_port) if raw_port else None
        except ValueError:
            raise ConfigError(
                f"HUIQI_SMTP_PORT={raw_port!r} is not a port number; use e.g. 587 or 465."
            ) from None
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"HUIQI_SMTP_PORT={port} is out of range; use 1-65535.")
        channels.append(
            EmailChannel(
                host=host,
                port=port,
                sender=sender,
                tls=tls,
                ca_file=env.get("HUIQI_SMTP_CA_FILE", "").strip() or None,
                username=env.get("HUIQI_SMTP_USER") or None,
                password=read_secret(env, "HUIQI_SMTP_PASSWORD"),
            )
        )
    if log_path is not None or not channels:
        channels.append(LogChannel(log_path))
    return channels
