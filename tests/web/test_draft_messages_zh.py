"""The draft editor in Chinese: what an author meets when a library policy is saved broken
in the usual ways (YAML, a misspelt field, a missing or unknown key, a wrong type, a
figure in 万元 or a percentage copied as it stands, a test case that expects the wrong
result, too few test cases, bad dates, an unknown code) is said in Chinese, values kept,
and the English text is not on the page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from portal_data import Portal, page_token, sign_in

from huiqi.policies.loader import library_dir
from huiqi.web.i18n import translations
from huiqi.web.policy_texts import POLICY_TEXTS
from huiqi.web.refusals import REFUSALS, localise

POLICY = "sh-graduate-hiring-subsidy-2026"
GOOD = (library_dir() / f"{POLICY}.yaml").read_text(encoding="utf-8")
URL = f"/console/policies/{POLICY}/draft"


def replace(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


def keep_cases(n: int) -> Callable[[str], str]:
    return lambda text: "  - name:".join(text.split("  - name:")[: n + 1])


# (what the author did, the change, Chinese on the page, English not on it)
BROKEN = [
    (
        "a tab in the YAML",
        replace("  - id: ui_paid", "\t- id: ui_paid"),
        "YAML 格式有误：此处有制表符（Tab）（请用空格缩进，YAML 不允许使用制表符）",
        "not valid YAML",
    ),
    (
        "an unclosed list",
        lambda text: text + "tags: [a,\n",
        "YAML 格式有误：此处应有内容，但文件已结束",
        "expected the node content",
    ),
    (
        "a misspelt field in a rule",
        replace("graduate_hires >= 1", "graduate_hire >= 1"),
        "条件“hired_graduates”：未知字段“graduate_hire”；是否应为“graduate_hires”？"
        "（表达式第 1 个字符处）",
        "unknown field",
    ),
    (
        "a misspelt key of a criterion",
        replace("    expr: NOT credit_dishonest", "    exp: NOT credit_dishonest"),
        "“exp”不是政策文件的字段；是否应为“expr”？",
        "is not a policy field",
    ),
    (
        "an unknown top-level key",
        lambda text: text + "colour: blue\n",
        "“colour”不是政策文件的字段；可用字段见 docs/policies.md",
        "is not a policy field",
    ),
    (
        "a missing required key",
        replace("data_year: 2025\n", ""),
        "此处缺少必填字段“data_year”",
        "is required here",
    ),
    (
        "a misspelt required key",
        replace("valid_to:", "valid_until:"),
        "此处缺少必填字段“valid_to”；“valid_until”是否为其误写？（其后还有 1 处问题）",
        "misspelling",
    ),
    (
        "a version in words",
        replace("version: 1", "version: one"),
        "version 应为阿拉伯数字写的整数，例如 version: 2",
        "whole number written in digits",
    ),
    (
        # QA (qa5): the advice worked out for the figure stayed English in the sentence.
        "a threshold in 万元 in a rule",
        replace("ui_premiums_paid > 0", "ui_premiums_paid > 2.5万元"),
        "条件“ui_paid”：规则中不能使用“万元”：规则中的金额以元为单位：2.5万元请写作 25000",
        "amounts are in yuan",
    ),
    (
        "a threshold in quotes with its unit",
        replace("ui_premiums_paid > 0", "ui_premiums_paid > '100万'"),
        "该字段是数值：请去掉引号，金额以元为单位：1000000",
        "without quotes",
    ),
    (
        "a district by its name without quotes",
        replace("expr: NOT credit_dishonest", "expr: district_code = 浦东新区"),
        "规则中不能使用“浦东新区”：代码字段存放的是代码，须加引号：请改为 &#39;310115&#39;",
        "coded field",
    ),
    (
        "a date without quotes",
        replace("expr: NOT credit_dishonest", "expr: registration_date >= 2020-01-01"),
        "中的日期不能与整数比较；日期请写作 DATE &#39;2020-01-01&#39;",
        "cannot compare",
    ),
    (
        "a percentage in a rule",
        replace('formula: "1500 * graduate_hires"', 'formula: "15% * graduate_hires"'),
        "百分比请写成小数：15% 写作 0.15",
        "decimal fraction",
    ),
    (
        "a budget in words",
        replace("budget: 500000000", "budget: lots"),
        "应为数字；金额请以元为单位、只写数字，例如 500万元 写作 5000000",
        "write an amount of yuan",
    ),
    (
        "a delivery mode that is none",
        replace("delivery: auto", "delivery: automatic"),
        "取值只能是",
        "Input should be",
    ),
    (
        "a cap in 万元",
        lambda text: replace("cap: 30000", "cap: 3")(
            replace("按每人1500元免申领取补助。", "按每人1500元免申领取补助，最高3万元。")(text)
        ),
        "amount.cap 写的是 3，而政策原文为 3万元；金额以元为单位：请改为 30000",
        "amounts are yuan",
    ),
    (
        "a cap in 万元 fails a case",
        lambda text: replace("cap: 30000", "cap: 3")(text),
        "预期金额为 30000.00 元，实际为 3.00 元",
        "expected amount",
    ),
    (
        "a share written as 20",
        replace(
            "label: {zh: 依法缴纳失业保险费, en: Pays unemployment insurance}\n"
            "    expr: ui_premiums_paid > 0",
            "label: {zh: 失业保险费不低于20%, en: Pays unemployment insurance}\n"
            "    expr: ui_premiums_paid > 20 * graduate_hires",
        ),
        "条件“ui_paid”：名称写的是 20%，规则却写作 20；规则中的比例应写成小数：请改为 0.2",
        "a share is a fraction",
    ),
    (
        "a test case that expects the wrong status",
        replace(
            "expect: {status: not_eligible, failing: [hired_graduates]}",
            'expect: {status: eligible, amount: "0.00"}',
        ),
        "测试用例“no graduates hired”：预期结果为“符合条件”，实际为“不符合条件”（不满足的条件：",
        "expected status",
    ),
    (
        "a test case that names the wrong failing criterion",
        replace("failing: [hired_graduates]", "failing: [ui_paid]"),
        "测试用例“no graduates hired”：预期不满足的条件为",
        "expected failing",
    ),
    (
        "one test case",
        keep_cases(1),
        "只有 1 个测试用例；请至少编写两个",
        "write at least two",
    ),
    (
        "no failing test case",
        keep_cases(2),
        "缺少不满足某项条件的测试用例",
        "no test case that fails",
    ),
    (
        "an end before the start",
        replace("valid_to: 2026-12-31", "valid_to: 2025-12-31"),
        "截止日期 valid_to（2025-12-31）早于开始日期 valid_from（2026-01-01）",
        "is before valid_from",
    ),
    (
        "a thirteenth month",
        replace("valid_from: 2026-01-01", "valid_from: 2026-13-01"),
        "“2026-13-01”不是有效日期：月份应在 1 至 12 之间",
        "is not a date",
    ),
    (
        "a date with slashes",
        replace("valid_from: 2026-01-01", "valid_from: 2026/01/01"),
        "日期分隔符有误，应使用“-”；日期请写作 YYYY-MM-DD：2026/01/01 请写作 2026-01-01",
        "write dates as",
    ),
    (
        "an unknown district code",
        replace(
            "expr: NOT credit_dishonest", "expr: NOT credit_dishonest AND district_code = '310199'"
        ),
        "条件“credit_good”：“310199”不是区划的代码；可用代码：",
        "is not a code of",
    ),
    (
        "an unknown industry section",
        replace(
            "expr: NOT credit_dishonest", "expr: NOT credit_dishonest AND industry_section = 'Z'"
        ),
        "条件“credit_good”：“Z”不是行业门类的代码；可用代码：",
        "is not a code of",
    ),
    (
        "'==' in a rule",
        replace("graduate_hires >= 1", "graduate_hires == 1"),
        "条件“hired_graduates”：规则中不能使用“==”：比较相等请写“=”（表达式第 16 个字符处）",
        "rule language",
    ),
    (
        "a money value in a test case as a bare decimal",
        replace('ui_premiums_paid: "2400.50"', "ui_premiums_paid: 2400.50"),
        "测试用例“three graduates”：企业数据字段“ui_premiums_paid”（2025）：金额请写整数或加引号的小数",
        "write money as",
    ),
]


@pytest.fixture(scope="module")
def author(portal: Portal) -> tuple[TestClient, str]:
    """A policy author whose scope covers every policy, with the library policy's good
    text saved as a draft (a broken first draft of a new policy is refused instead)."""
    client = sign_in(portal.client(), "author")
    token = page_token(client, URL)
    saved = client.post(URL, data={"text": GOOD, "csrf_token": token})
    assert saved.status_code == 200 and 'id="check-summary" class="ok"' in saved.text, saved.text
    return client, token


@pytest.mark.parametrize(
    ("change", "chinese", "english"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_policy_is_explained_in_chinese(
    author: tuple[TestClient, str], change: Callable[[str], str], chinese: str, english: str
) -> None:
    client, token = author
    saved = client.post(URL, data={"text": change(GOOD), "csrf_token": token})
    assert saved.status_code == 200, saved.text
    page = saved.text.split('id="text"', 1)[1].split("</textarea>", 1)[1]  # not the YAML
    assert chinese in page, page
    assert english not in page, page


def test_the_english_page_keeps_the_english_texts(author: tuple[TestClient, str]) -> None:
    client, token = author
    client.cookies.set("huiqi_lang", "en")
    try:
        saved = client.post(URL, data={"text": keep_cases(1)(GOOD), "csrf_token": token})
    finally:
        client.cookies.delete("huiqi_lang")
    assert "1 test case(s); write at least two" in saved.text
    assert "测试用例" not in saved.text.split("</textarea>", 1)[1]


def test_a_new_policys_first_draft_that_does_not_load_is_refused_in_chinese(
    author: tuple[TestClient, str],
) -> None:
    client, token = author
    url = "/console/policies/sh-new-draft-2026/draft"
    text = GOOD.replace(POLICY, "sh-new-draft-2026").replace("data_year: 2025\n", "")
    refused = client.post(url, data={"text": text, "csrf_token": token})
    assert refused.status_code == 400, refused.text
    assert "新政策的首个草稿必须能够读取" in refused.text
    assert "第一处错误：第 1 行：此处缺少必填字段“data_year”" in refused.text
    assert "first draft must load" not in refused.text


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "x.yaml: case 'a; b': expected status eligible, got needs_data (unknown ['c']);"
            " expected amount 10.00, got none",
            "x.yaml：测试用例“a; b”：预期结果为“符合条件”，实际为“缺少数据”（缺少数据的条件：['c']）"
            "；预期金额为 10.00 元，实际没有金额",
        ),
        (
            "not valid YAML: mapping values are not allowed here (indent this key as the keys"
            " beside it are, or put a value that holds ': ' in quotes)",
            "YAML 格式有误：此处不能出现“键: 值”（请让此键与同级的键对齐缩进；值中含有“: ”的，请加引号）",
        ),
        (
            "criterion 'a': cannot compare integer with string in 'n >= 'x'' (at character 3"
            " of the expression)",
            "条件“a”：“n >= 'x'”中的整数不能与文字比较（表达式第 3 个字符处）",
        ),
        (
            "amount formula: 'x' follows a complete expression; join the two with an operator"
            " (AND, OR, =, +, ...) (at character 6 of the expression)",
            "金额公式：“x”之前的表达式已经完整；请用运算符（AND、OR、=、+ 等）将两部分连接"
            "（表达式第 6 个字符处）",
        ),
        (
            "version 2 is published with this very text; change it and raise 'version' to publish",
            "版本 2 已按这份文本发布；如要发布，请修改文本并调高 version",
        ),
        (
            "Input should be 'auto', 'confirm' or 'apply': write 'confirm'",
            "取值只能是 'auto', 'confirm' 或 'apply'：请改为 'confirm'",
        ),
        (
            "criterion 'a': '≥' is not part of the rule language: write '>=' (at character 3 of"
            " the expression)",
            "条件“a”：规则中不能使用“≥”：请改为 '>='（表达式第 3 个字符处）",
        ),
        (
            "criterion 'a': '营业收入' is not part of the rule language: a rule names fields in"
            " English; did you mean 'revenue' (营业收入)? (at character 1 of the expression)",
            "条件“a”：规则中不能使用“营业收入”：规则中的字段须用英文字段名；是否指 'revenue'"
            " (营业收入)？（表达式第 1 个字符处）",
        ),
        (
            "criterion 'a': '浦东新区' is the name of code 310115 in districts: write '310115'"
            " (at character 17 of the expression)",
            "条件“a”：“浦东新区”是区划中代码 310115 的名称：请改为 '310115'（表达式第 17 个字符处）",
        ),
        (
            "criterion 'a': '万' is not part of the rule language: a rule's amounts are in yuan:"
            " write 5000000 for 500万 (at character 12 of the expression)",
            "条件“a”：规则中不能使用“万”：规则中的金额以元为单位：500万请写作 5000000"
            "（表达式第 12 个字符处）",
        ),
        (
            "criterion 'a': '（' is a full-width (Chinese) character; write the ASCII '(' instead"
            " (switch the input method to English for rules) (at character 5 of the expression)",
            "条件“a”：“（”是全角（中文）字符；请改用半角的 '('（编写规则时请切换到英文输入法）"
            "（表达式第 5 个字符处）",
        ),
        (
            "amount formula: '%' is not part of the rule language: write a percentage as a"
            " decimal fraction: 0.5 for 50%, 0.03 for 3% (at character 9 of the expression)",
            "金额公式：规则中不能使用“%”：百分比请写成小数：50% 写作 0.5，3% 写作 0.03"
            "（表达式第 9 个字符处）",
        ),
        (
            "criterion 'a': cannot compare string with integer in 'industry_class = 6513'; the"
            " field holds text (codes too): write the value in single quotes, '6513' (at"
            " character 16 of the expression)",
            "条件“a”：“industry_class = 6513”中的文字不能与整数比较；该字段存放的是文字"
            "（代码也是文字）：请给值加单引号，写作 '6513'（表达式第 16 个字符处）",
        ),
        (
            "not valid YAML: could not find expected ':' (line 8: '：' is a full-width colon;"
            " write ':' and a space after the key)",
            "YAML 格式有误：找不到应有的“:”（第 8 行：“：”是全角冒号；请在键后写半角冒号“:”和一个空格）",
        ),
        (
            "Input should be a valid decimal; amounts in a policy file are plain numbers of"
            " yuan: write 500000000 for 5亿",
            "应为数字；政策文件中的金额一律写以元为单位的数字：5亿 请写作 500000000",
        ),
        (
            "a 'not_eligible' test case must name the 'failing' criteria",
            "预期为“不符合条件”的测试用例须写明不满足的条件（failing）",
        ),
        (
            '"1" is text (it is in quotes), and version is a whole number: write version: 1'
            " without the quotes",
            "“1”加了引号，是文字，而 version 应为整数：请去掉引号，写作 version: 1",
        ),
        (
            "3e4 is scientific notation; money is exact: write the amount in plain digits, 30000",
            "3e4 是科学计数法；金额须精确：请直接写出数字 30000",
        ),
        (
            "the draft of p is not published: 2 lint error(s), the first: line 4: 'title' is"
            " required here; 1 failing test case(s), the first: p.yaml: case 'c': expected"
            " amount 10.00, got 20.00",
            "p 的草稿未发布：有 2 处检查错误，第一处：第 4 行：此处缺少必填字段“title”；"
            "有 1 个测试用例未通过，第一个：p.yaml：测试用例“c”：预期金额为 10.00 元，实际为 20.00 元",
        ),
        (
            "an enterprise that meets every criterion can receive 0.00 yuan: the formula gives"
            " 0 or less, which is 0.00 without a floor; it is not granted, offered or notified,"
            " only recorded as 'eligible, amount 0' (zero_amount); add a criterion that excludes"
            " it (e.g. require the field to be above 0) or a floor (amount.floor)",
            "满足全部条件的企业可能只得到 0.00 元：公式算得 0 或负数，未设下限时即为 0.00；"
            "这样的结果不会发放、推送或通知，只记为“符合条件，金额为 0”（zero_amount）；"
            "请增加一个条件将其排除（例如要求该字段大于 0），或设置下限（amount.floor）",
        ),
        (
            "test case 'a': profile field 'registration_date': '2023-02-30' is not a date"
            " (YYYY-MM-DD)",
            "测试用例“a”：企业数据字段“registration_date”：“2023-02-30”不是日期（YYYY-MM-DD）",
        ),
        (
            "the text's id is 'b', but this is the draft of 'a': write 'id: a' in the text (or"
            " start the draft of 'b')",
            "文本中的 id 是“b”，而这是“a”的草稿：请在文本中写 id: a（或另行起草“b”）",
        ),
        (
            "not valid YAML: expected ',' or '}', but got ':'",
            "YAML 格式有误：此处应为“,”或“}”，却读到 ':'",
        ),
        (
            "region '310199' is not one of Shanghai's 16 districts; district codes: 310101, 310104",
            "区域“310199”不是上海市现有的 16 个区之一；各区代码：310101, 310104",
        ),
        # A text no pattern knows stays as it is, inside a frame too.
        ("not valid YAML: something new", "YAML 格式有误：something new"),
    ],
)
def test_policy_texts_read_in_chinese(english: str, chinese: str) -> None:
    assert localise(translations("zh-CN"), english) == chinese
    assert localise(translations("en"), english) == english


def test_the_policy_texts_are_read_after_the_services_refusals() -> None:
    assert REFUSALS[-len(POLICY_TEXTS) :] == POLICY_TEXTS
