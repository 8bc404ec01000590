"""A policy text is whatever an officer pastes: every odd text is refused as a PolicyError
with the file and position, never another exception."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import load_policy_text


def test_a_control_character_is_refused_with_its_line_and_column() -> None:
    """Regression: a pasted text with a control character (ESC) raised PyYAML's ReaderError,
    which the simulation page answered with a server error."""
    with pytest.raises(PolicyError) as refused:
        load_policy_text("id: x\nversion: 1\ntitle: a\x1bb\n", "draft.yaml")
    assert "#x001b is not allowed" in str(refused.value)
    assert str(refused.value).startswith("draft.yaml, line 3, column 9:")


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_is_refused_as_a_policy_error(text: str) -> None:
    with contextlib.suppress(PolicyError):
        load_policy_text(text, "draft.yaml")
