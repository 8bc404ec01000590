"""Canonical JSON must be byte for byte what the standard library writes: the audit
chain's hashes were computed with it, and verification recomputes them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.db.jsontext import canonical_json, compact_json


def stdlib_canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def values(finite: bool) -> st.SearchStrategy[Any]:
    leaf = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=not finite)
        | st.text(alphabet=st.characters(exclude_categories=("Cs",)))
    )
    return st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=5) | st.integers(-5, 5), inner, max_size=4)
        ),
        max_leaves=25,
    )


@settings(max_examples=400, deadline=None)
@given(values(finite=False))
def test_canonical_bytes_are_the_standard_librarys(v: Any) -> None:
    try:
        expected = stdlib_canonical(v)
    except TypeError:  # mixed str/int keys cannot be sorted by either
        return
    assert canonical_json(v) == expected


@settings(max_examples=300, deadline=None)
@given(values(finite=True))
def test_compact_json_round_trips(v: Any) -> None:
    assert json.loads(compact_json(v)) == json.loads(json.dumps(v))


def test_unusual_values_fall_back_to_the_standard_library() -> None:
    assert canonical_json({"b": 1e16, "a": 2**70}) == b'{"a":1180591620717411303424,"b":1e+16}'
    assert compact_json({1: "一"}) == '{"1":"一"}'
    assert compact_json([2**70]) == "[1180591620717411303424]"


def test_types_json_cannot_write_still_fail_loudly() -> None:
    for bad in (Decimal("1.5"), dt.date(2026, 1, 1)):
        try:
            compact_json({"x": bad})
        except TypeError:
            continue
        raise AssertionError(f"{bad!r} was written")
