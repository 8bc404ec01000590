"""docs/policies.md documents every field of the policy format and every enterprise field."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from huiqi.engine.compile import language as L
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


def _section(number: str) -> str:
    """The text of section ``number`` (e.g. '4.3') of docs/policies.md, up to the next one."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"### {number} ")
    end = text.find("\n### ", start + 1)
    return text[start:end]


def test_documented_functions_are_exactly_the_allowed_ones() -> None:
    """The functions table of §4.3 lists every function the checker allows, and no other."""
    documented = set(re.findall(r"^\| `(\w+)\(", _section("4.3"), flags=re.MULTILINE))
    documented |= set(re.findall(r"`(\w+)\(a, b, …\)`", _section("4.3")))
    assert {d.lower() for d in documented} == {f.lower() for f in L.FUNCTION_NAMES}


def test_documented_operators_are_exactly_the_allowed_ones() -> None:
    rows = [
        line
        for line in _section("4.2").splitlines()
        if line.startswith(("| comparison", "| arithmetic"))
    ]
    documented = {t for line in rows for t in re.findall(r"`([^`\w ]+)`", line.split("|")[1])}
    assert documented == set(L.OPERATORS)


def test_documented_keywords_are_exactly_the_allowed_ones() -> None:
    intro = DOC.read_text(encoding="utf-8").split("### 4.1 ")[0].split("## 4. ")[1]
    keywords = re.search(r"the keywords (.*?), and the interval units\s+(.*?);", intro, re.S)
    assert keywords is not None
    words = set(re.findall(r"`(\w+)`", keywords.group(1)))
    units = set(re.findall(r"`(\w+)`", keywords.group(2)))
    assert words == set(L.KEYWORDS)
    assert units == set(L.INTERVAL_UNITS)


def test_the_annotated_example_passes_its_own_test_cases() -> None:
    """Regression: §11's complete example, which officers copy, expected a near miss for
    a layoff rate of 10 %; its criterion is an OR (never a near miss, §5.1), so a copy
    failed `huiqi policy test` with 'expected status near_miss, got not_eligible'."""
    from huiqi.engine import compile_policy, run_policy_tests
    from huiqi.policies.loader import load_policy_text

    section = DOC.read_text(encoding="utf-8").split("## 11. ")[1]
    example = section.split("```yaml\n")[1].split("```")[0]
    compiled = compile_policy(load_policy_text(example, "sh-stable-jobs-refund-2026.yaml"))
    results = run_policy_tests([compiled])
    assert len(results) == 4
    assert [r.message for r in results if not r.ok] == []
