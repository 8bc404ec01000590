"""The rule compiler's texts that the draft editor shows whole (QA, qa5): a function's
usage, said after "usage:", read in English on the Chinese page."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.engine.compile.check import Checker
from huiqi.engine.compile.compiler import compile_expression
from huiqi.engine.compile.language import BUILTIN_FUNCTIONS, CUSTOM_FUNCTIONS
from huiqi.engine.compile.scan import CheckError
from huiqi.profiles.dictionary import load_dictionary
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


@pytest.mark.parametrize(
    ("expr", "formula", "chinese"),
    [
        (
            "industry_class LIKE '65%'",
            None,
            "规则不支持模式匹配；要选取以 65 开头的四位行业小类，请写 industry_class >= '6500'"
            " AND industry_class <= '6599'",
        ),
        ("name LIKE '%科技%'", None, "规则不支持模式匹配；请逐一列出取值"),
        ("years_since(registration_date) < 3年", None, "规则中的数字不带单位：3年 请写作 3"),
        ("revenue[2025] > 0", None, "[2025] 是年份，但规则以相对于政策 data_year 的偏移"),
        ("high_tech = TRUE", None, "中的资质不能与是/否值比较（检验资质请用 holds(...)）"),
        ("size_class = 'small' OR 'micro'", None, "检验同一字段的多个取值请写 size_class IN"),
        ("credit_dishonest = 'no'", None, "是/否字段取 TRUE 或 FALSE，不加引号：请写 FALSE"),
        ("credit_dishonest = 否", None, "规则中不能使用“否”：请写 FALSE"),
        ("has_tag(tags, 人工智能)", None, "标签须加引号：has_tag(tags, '人工智能')"),
        ("revenue[-1 year] > 0", None, "年度偏移是一个整数，例如 revenue[-1]"),
        ("revenue > 0", "AVG(revenue, revenue[-1])", "；请写 (a + b) / 2 求两年平均值"),
        ("revenue > 0", "MIN(0.3 * revenue, 500000)", "；请写 LEAST(a, b, ...) 取较小值"),
        ("registration_date >= DATE '2023/01/01'", None, "不是日期；请写作 DATE '2023-01-01'"),
        (
            "recognised_in(high_tech, '2025')",
            None,
            "；年份不加引号：请写作 recognised_in(high_tech, 2025)",
        ),
    ],
)
def test_a_newcomers_slip_reads_in_chinese(expr: str, formula: str | None, chinese: str) -> None:
    """Regression (QA, qa7): the compiler's new advice for LIKE, a unit after a number, a
    year as an offset, a qualification compared with TRUE and a tiered amount without ELSE
    is shown on the Chinese draft editor in Chinese."""

    with pytest.raises(CheckError) as refused:
        compile_expression(
            formula or expr,
            checker=Checker(load_dictionary()),
            data_year=2025,
            as_of=dt.date(2025, 12, 31),
            want="amount" if formula else "boolean",
        )
    said = localise(translations("zh-CN"), refused.value.message)
    assert chinese in said, said


@pytest.mark.parametrize(
    ("margin", "chinese"),
    [
        ("0.1", "而不是 0.1：请写作 10%"),
        ("10％", "而不是 '10％'：请写作 10%，使用半角的 '%'（'％' 是全角字符）"),
        (
            "lots",
            "margin 应为门槛的百分比（例如 '10%'），或写 0 表示从不算“差一点符合”，而不是 'lots'",
        ),
        ("true", "margin 应为百分比（例如 '10%'）或 0，而不是 True"),
        ("150%", "margin 最多为 100%，而不是 '150%'"),
    ],
)
def test_a_margin_refused_reads_in_chinese(margin: str, chinese: str) -> None:
    """Regression (QA, qa12): a criterion's margin refused (huiqi.policies.margin) read in
    English on the Chinese draft editor. By the path the page takes: the draft's check."""
    from huiqi.engine.policycheck import check_text
    from huiqi.policies.loader import library_dir

    text = (library_dir() / "sh-graduate-hiring-subsidy-2026.yaml").read_text(encoding="utf-8")
    criterion = "    expr: graduate_hires >= 1\n"
    assert criterion in text
    broken = text.replace(criterion, f"{criterion}    margin: {margin}\n", 1)
    (problem,) = [p for p in check_text(broken).problems if p.severity == "error"]
    assert "margin" in problem.message, problem.message
    said = localise(translations("zh-CN"), problem.message)
    assert chinese in said and "near miss" not in said, said
    assert localise(translations("en"), problem.message) == problem.message
