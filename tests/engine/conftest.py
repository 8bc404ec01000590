"""Engine tests: factories live in ``engine_factories``; this only adds fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from engine_factories import compile_yaml, policy_yaml

from huiqi.engine.compiler import CompiledPolicy


@pytest.fixture
def make_policy() -> Callable[..., CompiledPolicy]:
    def make(*args: object, **kwargs: object) -> CompiledPolicy:
        return compile_yaml(policy_yaml(*args, **kwargs))  # type: ignore[arg-type]

    return make
