"""The fingerprint of a request body (huiqi.web.idempotent._Digest): the same however the
body is cut into chunks as it arrives, and, for a multipart body, whatever its boundary
(a client draws a new one for each request it encodes, a retry's too)."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from huiqi.web.idempotent import _Digest

PARTS = st.lists(st.binary(max_size=40), min_size=1, max_size=5)
BOUNDARIES = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=40)


def multipart(parts: list[bytes], boundary: str) -> bytes:
    mark = f"--{boundary}".encode()
    return b"".join(mark + b"\r\n" + p + b"\r\n" for p in parts) + mark + b"--\r\n"


def digest(body: bytes, cuts: list[int], boundary: str | None, key: bytes = b"k-1") -> str:
    found = _Digest(boundary.encode() if boundary else None, key)
    at = 0
    for cut in [*sorted(c % (len(body) + 1) for c in cuts), len(body)]:
        found.update(body[at:cut])
        at = max(at, cut)
    return found.hexdigest()


@given(
    body=st.binary(max_size=200),
    cuts=st.lists(st.integers(0, 300), max_size=8),
    key=st.binary(min_size=1, max_size=64),
)
def test_a_plain_body_is_its_hmac_under_the_key_however_it_arrives(
    body: bytes, cuts: list[int], key: bytes
) -> None:
    assert digest(body, cuts, None, key) == hmac.new(key, body, hashlib.sha256).hexdigest()
    assert digest(body, cuts, None, key + b"x") != digest(body, [], None, key)


@given(
    parts=PARTS,
    first=BOUNDARIES,
    second=BOUNDARIES,
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_a_multipart_body_is_the_same_whatever_its_boundary_and_chunks(
    parts: list[bytes], first: str, second: str, cuts: list[int]
) -> None:
    if any(f"--{b}".encode() in p for p in parts for b in (first, second)):
        return  # a part holding its boundary is not a multipart body a client makes
    one = digest(multipart(parts, first), [], first)
    assert digest(multipart(parts, second), cuts, second) == one
    assert digest(multipart([*parts, b"x"], second), cuts, second) != one
