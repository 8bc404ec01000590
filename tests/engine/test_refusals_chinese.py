"""A criterion written as a policy document words it: a field by its Chinese label
(营业收入 >= 5000000), conditions joined by 且 or 或, an amount in 万. Each was refused as
"'营业收入' is not part of the rule language (see docs/policies.md §4 …)", which named
neither the field meant nor what to write instead."""

from __future__ import annotations

import pytest
from engine_factories import compile_yaml, policy_yaml

from huiqi.errors import RuleCompileError


def _refusal(expr: str) -> str:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml([("c", expr)]))
    return info.value.message


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        (
            "营业收入 >= 5000000",
            "'营业收入' is not part of the rule language: a rule names fields in English; did"
            " you mean 'revenue' (营业收入)? (at character 1 of the expression)",
        ),
        (
            "employees > 3 AND 年末参保人数 >= 5",
            "'年末参保人数' is not part of the rule language: a rule names fields in English;"
            " did you mean 'insured_employees' (年末参保人数)? (at character 19 of the"
            " expression)",
        ),
        ("研发投入 > 0", "did you mean 'rd_expense' (研发费用), 'rd_staff' (研发人员)?"),
    ],
)
def test_a_field_written_by_its_chinese_label_is_named(expr: str, says: str) -> None:
    assert says in _refusal(expr)


def test_a_word_like_no_label_keeps_the_plain_refusal() -> None:
    assert _refusal("天气 > 0").startswith(
        "criterion 'c': '天气' is not part of the rule language (see docs/policies.md §4"
    )


@pytest.mark.parametrize(
    ("expr", "advice"),
    [
        ("revenue > 0 且 employees > 3", "'且' is not part of the rule language: write AND"),
        ("revenue > 0 或者 employees > 3", "'或者' is not part of the rule language: write OR"),
        ("revenue >= 500万", "a rule's amounts are in yuan: write 5000000 for 500万"),
        ("revenue >= 1亿元", "a rule's amounts are in yuan: write 100000000 for 1亿元"),
        ("revenue >= 5000000元", "a rule's amounts are in yuan: write the number alone"),
    ],
)
def test_a_documents_connectives_and_units_say_what_to_write(expr: str, advice: str) -> None:
    assert advice in _refusal(expr)


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        (
            "district_code = '浦东新区'",
            "'浦东新区' is the name of code 310115 in districts: write '310115'",
        ),
        (
            "district_code IN ('310104', '上海市浦东新区')",
            "'上海市浦东新区' is the name of code 310115 in districts: write '310115'",
        ),
        ("size_class = '小型'", "'小型' is the name of code small in size_classes: write 'small'"),
        (
            "size_class = 'Micro'",
            "'Micro' is the name of code micro in size_classes: write 'micro'",
        ),
    ],
)
def test_a_code_written_by_its_name_says_which_code(expr: str, says: str) -> None:
    """Regression: district_code = '浦东新区' was refused with the list of all sixteen
    codes, leaving the author to find which one is Pudong's."""
    assert says in _refusal(expr)
