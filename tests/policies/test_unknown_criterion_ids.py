"""A test case that names a criterion by its Chinese label, or by words of it, is told the
id it means, or the ids to choose from (QA, qa7): ``failing: [研发占比]`` read "names
unknown criterion '研发占比'" and nothing else."""

from __future__ import annotations

import pytest

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise

SHIPPED = library_dir() / "pd-ic-design-support-2026.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


def _failing(ids: str) -> str:
    text = TEXT.replace("failing: [ic_design]", f"failing: [{ids}]", 1)
    assert text != TEXT
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    return info.value.message


def _labels() -> dict[str, str]:
    policy = load_policy_text(TEXT, SHIPPED.name).policy
    return {c.id: c.label.zh for c in policy.criteria}


def test_a_criterions_chinese_label_is_told_its_id() -> None:
    label = _labels()["ic_design"]
    assert _failing(label).endswith(f"names unknown criterion '{label}'; did you mean 'ic_design'?")


def test_an_unlike_name_is_told_the_ids() -> None:
    ids = ", ".join(sorted(_labels()))
    assert _failing("毫不相干").endswith(f"; a test case names criteria by their ids: {ids}")


def test_the_ids_to_choose_from_read_in_chinese() -> None:
    english = (
        "test case 'x' names unknown criterion '研发占比'; a test case names criteria by their"
        " ids: rd_share, software"
    )
    assert localise(translations("zh-CN"), english) == (
        "测试用例“x”写了不存在的条件“研发占比”；测试用例以条件的 id 指称条件：rd_share, software"
    )
