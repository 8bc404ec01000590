"""A criterion written as a policy document words it: a field by its Chinese label
(营业收入 >= 5000000), conditions joined by 且 or 或, an amount in 万. Each was refused as
"'营业收入' is not part of the rule language (see docs/policies.md §4 …)", which named
neither the field meant nor what to write instead."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_factories import compile_yaml, policy_yaml
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ("district_code = 浦东新区", "'310115'"),
        ("district_code IN ('310104', 浦东新区)", "'310115'"),
        ("registration_type = 有限责任公司", "'limited_company'"),
    ],
)
def test_a_code_named_without_quotes_says_which_code_to_write(expr: str, code: str) -> None:
    """QA (qa5): 'district_code = 浦东新区' was refused as a word outside the rule language,
    where '浦东新区' in quotes names the code to write."""
    assert (
        f"is not part of the rule language: a coded field holds codes, written in quotes:"
        f" write {code} (at character" in _refusal(expr)
    )


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


@pytest.mark.parametrize(
    ("expr", "advice"),
    [
        ("revenue >= 1000万", "write 10000000 for 1000万"),
        ("revenue >= 1.5亿", "write 150000000 for 1.5亿"),
        ("revenue >= 2.25万元", "write 22500 for 2.25万元"),
        (
            "rd_expense / revenue >= 3.5%",
            "write a percentage as a decimal fraction: 0.035 for 3.5%",
        ),
        ("rd_expense / revenue >= 60%", "0.6 for 60%"),
    ],
)
def test_a_unit_or_percent_after_a_number_is_worked_out_for_that_number(
    expr: str, advice: str
) -> None:
    """Regression: '1000万' was answered 'write 5000000 for 500万', the same example
    whatever the author wrote; the advice now converts the author's own number."""
    assert advice in _refusal(expr)


@given(
    whole=st.integers(min_value=0, max_value=99_999),
    cents=st.integers(min_value=0, max_value=99),
    unit=st.sampled_from(["万", "万元", "亿", "亿元"]),
)
def test_writing_what_the_advice_says_compiles(whole: int, cents: int, unit: str) -> None:
    """The number the advice gives is the author's amount in yuan, and a rule with it in
    place of the refused text compiles."""
    number = f"{whole}.{cents:02d}"
    said = _refusal(f"revenue >= {number}{unit}")
    written = said.split("write ", 1)[1].split(" for ", 1)[0]
    scale = 10_000 if unit.startswith("万") else 100_000_000
    assert Decimal(written) == Decimal(number) * scale
    compile_yaml(policy_yaml([("c", f"revenue >= {written}")]))


@pytest.mark.parametrize(
    ("formula", "says"),
    [
        ("MIN(0.1 * rd_expense, 500000)", "write LEAST(a, b, ...) for the smaller of values"),
        ("max(rd_expense, 0)", "write GREATEST(a, b, ...) for the larger of values"),
        ("IFNULL(rd_expense, 0)", "write COALESCE(a, b) for the first known value"),
    ],
)
def test_a_function_from_elsewhere_names_the_rule_languages_own(formula: str, says: str) -> None:
    with pytest.raises(RuleCompileError) as info:
        compile_yaml(policy_yaml(formula=formula))
    assert says in info.value.message
