"""JSON text as huiqi stores and hashes it.

Stored JSON (explanations, event data) is compact UTF-8 text: Chinese labels as
``\\u`` escapes took twice the bytes. The audit chain hashes *canonical* JSON:
sorted keys, compact, UTF-8 — the bytes ``json.dumps(sort_keys=True,
ensure_ascii=False, separators=(",", ":"))`` gives. orjson writes both about ten
times faster than the standard library; values it would write differently (floats,
integers beyond 64 bits, non-string keys, anything else unusual) go through the
standard library, so the bytes never depend on which encoder ran.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
# Dates, datetimes and dataclasses are refused, as the standard library refuses them.
_COMPACT = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _plain(value: Any) -> bool:
    """True if orjson writes ``value`` exactly as the standard library does."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return _INT_MIN <= value <= _INT_MAX
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str or not (type(v) is str or v is None or _plain(v)):
                return False
        return True
    if kind is list:
        return all(_plain(v) for v in value)
    return False


def compact_json(value: Any) -> str:
    """JSON text for a database column: compact, non-ASCII kept as UTF-8."""
    try:
        return orjson.dumps(value, option=_COMPACT).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def canonical_json(value: Any) -> bytes:
    """Canonical bytes of ``value`` for hashing: sorted keys, compact, UTF-8."""
    if _plain(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
