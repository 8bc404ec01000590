"""docs/policies.md documents every field of the policy format and every enterprise field."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from huiqi.policies.model import Policy
from huiqi.profiles.dictionary import load_dictionary

DOC = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside a field annotation (list[X], X | None, dict[str, X]...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def policy_models() -> list[type[BaseModel]]:
    """Every model reachable from ``Policy``, in discovery order."""
    seen: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Policy]
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            todo.extend(_models_in(info.annotation))
    return seen


def _missing(names: list[str]) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return sorted({n for n in names if f"`{n}`" not in text})


def test_the_walk_reaches_every_model_of_the_format() -> None:
    names = {m.__name__ for m in policy_models()}
    assert {"Policy", "Text", "Source", "Criterion", "Amount", "TestCase", "Expectation"} <= names


def test_every_model_of_the_format_is_documented() -> None:
    missing = _missing([m.__name__ for m in policy_models()])
    assert not missing, f"docs/policies.md does not mention these models: {missing}"


def test_every_policy_field_is_documented() -> None:
    fields = [
        f"{model.__name__}.{name}" for model in policy_models() for name in model.model_fields
    ]
    missing = [f for f in fields if _missing([f.split(".", 1)[1]])]
    assert not missing, f"docs/policies.md does not document these policy fields: {missing}"


def test_every_dictionary_field_is_documented() -> None:
    missing = _missing(list(load_dictionary().names))
    assert not missing, f"docs/policies.md does not list these enterprise fields: {missing}"


def test_the_cli_commands_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "huiqi policy lint PATH..." in text
    assert "huiqi policy test [PATH...]" in text
