"""Settings: where huiqi keeps its data, read from the environment.

``HUIQI_DATA_DIR`` (default ``./huiqi-data``) holds the profile store
(``profiles.duckdb``), frozen snapshots (``snapshots/<id>/``), import reports
and rejects (``imports/``), the office's own column mappings (``mappings/``), match outputs (``runs/``), disbursement files
(``disbursements/``) and generated registry files (``generated/``). It is made
owner-only: folders 0700, files 0600 (see :mod:`huiqi.fsmode`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from huiqi.errors import ConfigError
from huiqi.fsmode import private_data_dir

DEFAULT_DATA_DIR = "huiqi-data"


@dataclass(frozen=True)
class Settings:
    data_dir: Path

    @property
    def profiles_db(self) -> Path:
        return self.data_dir / "profiles.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def imports_dir(self) -> Path:
        return self.data_dir / "imports"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def mappings_dir(self) -> Path:
        """The office's own registry layouts (``*.yaml``), beside the built-in ones."""
        return self.data_dir / "mappings"

    def ensure_data_dir(self) -> Path:
        """Create the data directory owner-only (0700); one found wider is tightened."""
        return private_data_dir(self.data_dir)


def get_settings(data_dir: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from an explicit data directory, else ``HUIQI_DATA_DIR``, else the default."""
    chosen = data_dir or os.environ.get("HUIQI_DATA_DIR") or DEFAULT_DATA_DIR
    return Settings(data_dir=Path(chosen).expanduser().resolve())


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    """A whole-number setting: ``default`` when unset or blank, else ASCII digits giving at
    least ``minimum`` (a sign, a decimal point or full-width digits are refused by name).

    >>> env_int({"HUIQI_WEB_MAX_UPLOAD_MB": " 25 "}, "HUIQI_WEB_MAX_UPLOAD_MB", 10)
    25
    >>> env_int({}, "HUIQI_WEB_MAX_UPLOAD_MB", 10)
    10
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(
            f"{name}={raw!r} is not a whole number of at least {minimum}; write digits, e.g."
            f" {max(default, minimum)}, or unset it for the default."
        )
    value = int(raw)
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}; got {value}")
    return value


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME``, or from the file named by ``NAME_FILE`` (without its trailing
    newline), so that it need not appear on a command line; None when neither is set.

    >>> read_secret({"HUIQI_SMTP_PASSWORD": "pw"}, "HUIQI_SMTP_PASSWORD")
    'pw'
    """
    value = env.get(name) or None
    file_name = env.get(f"{name}_FILE", "").strip()
    if not file_name:
        return value
    if value is not None:
        raise ConfigError(f"both {name} and {name}_FILE are set; keep one of them.")
    try:
        text = Path(file_name).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{name}_FILE={file_name} cannot be read ({exc}); give a readable UTF-8 file"
            " holding only the secret."
        ) from None
    secret = text.rstrip("\r\n")
    if not secret:
        raise ConfigError(f"{name}_FILE={file_name} is empty; write the secret into it.")
    return secret
