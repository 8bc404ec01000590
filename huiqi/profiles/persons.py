"""Persons in registry files: kept only as a keyed hash, shown only masked.

A relation's party may be a natural person (a shareholder, the legal
representative, a director). Matching needs only to know that two enterprises
share the same person, so the importer stores ``P`` followed by the first 32 hex
digits of HMAC-SHA256(key, identifier) and never the identifier itself
(BRIEF "Personal data"). The identifier is normalised first (trimmed, upper
case: an ID number's check character ``x`` is ``X``).

The key comes from ``HUIQI_PERSON_KEY`` (or the file named by
``HUIQI_PERSON_KEY_FILE``); without one, a random key is made once in
``<data dir>/person.key`` (owner-only). Hashes made with different keys never
match, so keep the key with the data directory.

Example:
    >>> pseudonym(b"k" * 32, "310101199001011234")
    'P33a4dcfb8f325ea8361c9344611ef794'
    >>> mask("310101199001011234")
    '3101**********1234'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from huiqi.config import Settings, read_secret
from huiqi.fsmode import write_private_text

KEY_ENV = "HUIQI_PERSON_KEY"
KEY_FILE = "person.key"
PREFIX = "P"


def person_key(settings: Settings, env: Mapping[str, str] | None = None) -> bytes:
    """The key persons are hashed with (see the module's doc)."""
    given = read_secret(os.environ if env is None else env, KEY_ENV)
    if given:
        return given.encode("utf-8")
    path: Path = settings.data_dir / KEY_FILE
    if not path.exists():
        settings.ensure_data_dir()
        write_private_text(path, secrets.token_hex(32) + "\n")
    return path.read_text("utf-8").strip().encode("utf-8")


def normalise(identifier: str) -> str:
    return identifier.strip().upper()


def pseudonym(key: bytes, identifier: str) -> str:
    """The stored form of a person's identifier."""
    digest = hmac.new(key, normalise(identifier).encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:32]


def mask(identifier: str) -> str:
    """The shown form: the first and last 4 characters, stars between (3101********1234)."""
    text = normalise(identifier)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]
