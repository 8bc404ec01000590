"""CLI sign-in: where the token of ``huiqi login`` is kept, and who the actor is.

The token comes from ``HUIQI_TOKEN`` (an API token, e.g. for the scheduler's
cron jobs) or from the credentials file that ``huiqi login`` writes: one token
per database, in ``$HUIQI_CONFIG_DIR`` (default ``$XDG_CONFIG_HOME/huiqi`` or
``~/.config/huiqi``), readable by its owner only. There is no fallback: a
command that needs an actor and finds no valid token fails with exit code 5.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from huiqi.accounts.access import Actor
    from huiqi.db.engine import Reads

# SQLAlchemy and the token check are imported where used: the quick listings
# (huiqi.cli.quick) read the stored token here and check it without them.

TOKEN_ENV = "HUIQI_TOKEN"
CONFIG_ENV = "HUIQI_CONFIG_DIR"
CREDENTIALS = "credentials.json"


def config_dir() -> Path:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "huiqi"


def database_key(url: str) -> str:
    """Which database a stored token belongs to (the URL without its password)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _load() -> dict[str, Any]:
    path = config_dir() / CREDENTIALS
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: dict[str, Any]) -> Path:
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    path = folder / CREDENTIALS
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def store_token(url: str, username: str, token: str) -> Path:
    data = _load()
    data[database_key(url)] = {"username": username, "token": token}
    return _save(data)


def _token_of(entry: object) -> str | None:
    """The token of one stored entry (``{"username", "token"}``), if it holds one."""
    return str(entry.get("token") or "") or None if isinstance(entry, dict) else None


def stored_token(url: str) -> str | None:
    """The token ``huiqi login`` stored for this database (never ``HUIQI_TOKEN``)."""
    return _token_of(_load().get(database_key(url)))


def forget_token(url: str) -> str | None:
    """Remove the stored token for this database; return it (to revoke it too)."""
    data = _load()
    entry = data.pop(database_key(url), None)
    if entry is None:
        return None
    _save(data)
    return _token_of(entry)


def token_for(url: str) -> str | None:
    return token_for_key(database_key(url))


def token_for_key(key: str) -> str | None:
    """``HUIQI_TOKEN``, else the token ``huiqi login`` stored for the database named ``key``
    (its URL without the password, :func:`database_key`)."""
    env = os.environ.get(TOKEN_ENV)
    if env:
        return env.strip()
    entry = _load().get(key)
    return str(entry["token"]) if isinstance(entry, dict) and entry.get("token") else None


def current_actor(session: Reads, url: str) -> tuple[Actor, int | None]:
    """The signed-in actor for this database (NotSignedIn, exit 5, when there is none),
    and its token's id when the token's last use is due to be written down
    (:func:`huiqi.accounts.bearer.record_use`, after the read)."""
    from huiqi.accounts.bearer import checked_token

    return checked_token(session, token_for(url))


def prompt_password(confirm: bool = False) -> str:
    value: str = click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    return value
