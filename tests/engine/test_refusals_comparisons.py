"""A comparison written as a policy author writes it before learning the rule language:
its two signs the wrong way round (``=>``, ``=<``, as some languages and many hands
write them), or the document's own word for it (不低于, 大于等于, 不超过 …).

``=<`` was refused as "cannot read the expression: an operator or a function is missing
a value", ``=>`` and 不低于 as "not part of the rule language (see docs/policies.md §4)":
none of them said what to write, though the author had meant ``<=``, ``>=`` and ``>=``.
"""

from __future__ import annotations

import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import RuleCompileError
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def refusal(expr: str) -> str:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", expr)]))
    return info.value.message


@pytest.mark.parametrize(
    ("expr", "written", "meant", "at"),
    [
        ("employees => 10", "=>", ">=", 11),
        ("employees =< 10", "=<", "<=", 11),
        ("rd_staff / employees =< 0.1 AND employees > 0", "=<", "<=", 22),
        ("employees 不低于 10", "不低于", ">=", 11),
        ("employees 大于等于 10", "大于等于", ">=", 11),
        ("employees 不超过 300", "不超过", "<=", 11),
        ("employees 小于 300", "小于", "<", 11),
        ("employees 大于 0", "大于", ">", 11),
        ("district_code 等于 '310115'", "等于", "=", 15),
        ("district_code 不等于 '310115'", "不等于", "<>", 15),
    ],
)
def test_a_comparison_written_another_way_says_which_operator_to_write(
    expr: str, written: str, meant: str, at: int
) -> None:
    assert refusal(expr) == (
        f"criterion 'c': '{written}' is not part of the rule language: write '{meant}'"
        f" (at character {at} of the expression)"
    )


def test_the_advice_reads_in_chinese() -> None:
    english = "criterion 'c': '=<' is not part of the rule language: write '<=' (at character 11 of the expression)"
    assert localise(translations("zh-CN"), english) == (
        "条件“c”：规则中不能使用“=<”：请改为 '<='（表达式第 11 个字符处）"
    )


@given(
    op=st.sampled_from(["<=", ">=", "<", ">", "=", "<>", "!="]),
    space=st.sampled_from(["", " ", "  "]),
    n=st.integers(min_value=0, max_value=5_000_000),
)
def test_the_operators_of_the_language_still_compile(op: str, space: str, n: int) -> None:
    """No operator of the language is taken for a slip, whatever the spacing."""
    compile_yaml(policy_yaml([("c", f"employees{space}{op}{space}{n}")]))
