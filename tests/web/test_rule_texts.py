"""The rule compiler's texts that the draft editor shows whole (QA, qa5): a function's
usage, said after "usage:", read in English on the Chinese page."""

from __future__ import annotations

import pytest

from huiqi.engine.compile.language import BUILTIN_FUNCTIONS, CUSTOM_FUNCTIONS
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


@pytest.mark.parametrize("usage", [*BUILTIN_FUNCTIONS.values(), *CUSTOM_FUNCTIONS.values()])
def test_every_functions_usage_has_a_chinese_text(usage: str) -> None:
    said = localise(translations("zh-CN"), f"usage: {usage}")
    assert said.startswith("用法：") and said != f"用法：{usage}", said


def test_a_quoted_qualification_reads_in_chinese() -> None:
    text = (
        f"criterion 'a': usage: {CUSTOM_FUNCTIONS['holds']}; a qualification is named without"
        " quotes: holds(high_tech) (at character 7 of the expression)"
    )
    said = localise(translations("zh-CN"), text)
    assert said.startswith("条件“a”：用法：holds(qualification) 或 ") and said.endswith(
        "；资质名称不加引号：请写作 holds(high_tech)（表达式第 7 个字符处）"
    ), said
    assert localise(translations("en"), text) == text
