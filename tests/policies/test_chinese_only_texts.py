"""A policy written in Chinese alone: a ``Text`` (title, summary, department, a
criterion's label) may leave out ``en`` or be a plain string; the English pages then show
the Chinese. Regression (QA, qa5): a draft written by a department in Chinese only was
refused with one "'en' is required here" per text, before any of its rules was read."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text
from huiqi.policies.model import Text

BASE = (library_dir() / "sh-ai-product-sales-support-2026.yaml").read_text(encoding="utf-8")


def chinese_only(text: str) -> str:
    """The policy with every ``en:`` of a flow-style text dropped ({zh: x, en: y} → {zh: x})."""
    return re.sub(r",\s*en:\s*(\"[^\"]*\"|[^}]*)\}", "}", text)


def test_a_policy_without_english_loads_its_texts_in_chinese() -> None:
    original = load_policy_text(BASE, "p.yaml").policy
    text = chinese_only(BASE)
    assert text != BASE
    policy = load_policy_text(text, "p.yaml").policy
    for before, after in zip(original.criteria, policy.criteria, strict=True):
        assert after.label.zh == before.label.zh and after.label.en == before.label.zh
    assert policy.criteria == [
        c.model_copy(update={"label": Text(zh=c.label.zh, en=c.label.zh)})
        for c in original.criteria
    ]


def test_a_plain_string_is_a_chinese_text() -> None:
    assert Text.model_validate("研发费用") == Text(zh="研发费用", en="研发费用")


def test_english_alone_is_still_refused_at_its_line() -> None:
    text = re.sub(r"label: \{zh: [^,]*, en:", "label: {en:", BASE, count=1)
    assert text != BASE
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, "p.yaml")
    assert "'zh' is required here" in str(refused.value), refused.value


@given(st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t))
def test_any_chinese_text_alone_is_its_own_english(zh: str) -> None:
    assert Text.model_validate({"zh": zh}) == Text(zh=zh, en=zh)
