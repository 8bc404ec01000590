"""Idempotency keys: the one-time key a form or an API call sends with a request that
stores something (``Idempotency-Key``), so that sending it again (a double click, a
retried call) stores it once. The key is kept with what it stored, under a unique index
on (account, key); a repeat finds the first instead of storing again. Requests to the
desk (migration 0021) and files attached to applications (0022) use it. Over the API,
every write also honours the header by the answer it got (``huiqi.web.idempotent``,
``huiqi.accounts.idempotent_calls``), with the same rule for a key."""

from __future__ import annotations

from collections.abc import Callable

from huiqi.errors import HuiqiError

MAX_KEY = 64  # an idempotency key's length (the forms' are 32 hex characters)


def check_key(key: object, refused: Callable[[str], HuiqiError]) -> str | None:
    """An idempotency key: 1 to 64 visible ASCII characters; none (or empty) is no key.
    Anything else raises what ``refused`` makes of the message."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_KEY or not all("!" <= c <= "~" for c in key):
        exc = refused(
            f"an idempotency key is 1 to {MAX_KEY} visible ASCII characters (no spaces);"
            " send a new random one with each new request"
        )
        exc.field = "Idempotency-Key"  # the header that carries it
        raise exc
    return key
