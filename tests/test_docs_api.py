"""Every operation (a service function that takes an actor) is documented in docs/api.md."""

from __future__ import annotations

from pathlib import Path

from huiqi.operations import operations

API = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")


def test_every_operation_is_in_the_api_docs() -> None:
    missing = []
    for qualified in sorted(operations()):
        module, name = qualified.rsplit(".", 1)
        if f"`{qualified}(" not in API and not (f"`{module}`" in API and f"`{name}(" in API):
            missing.append(qualified)
    assert not missing, f"document these operations in docs/api.md: {missing}"
