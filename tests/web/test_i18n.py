"""zh-CN is the default language, English is one click away, and every message the portal
shows has its Chinese translation in the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from portal_data import OFFER, Portal, page_token, sign_in

import huiqi.web

WEB = Path(huiqi.web.__file__).parent
PO = WEB / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def test_pages_are_chinese_by_default_and_english_after_one_click(portal: Portal) -> None:
    client = portal.client()
    page = client.get("/policies")
    assert '<html lang="zh-CN">' in page.text and "政策目录" in page.text
    assert "测试政策web-offer" in page.text  # the policy's own Chinese title
    switched = client.get("/lang/en", params={"next": "/policies"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/policies"
    page = client.get("/policies")
    assert '<html lang="en">' in page.text and "Policy catalogue" in page.text
    assert "Test policy web-offer" in page.text and "政策目录" not in page.text
    back = client.get(
        "/lang/zh-CN", params={"next": "https://evil.example/"}, follow_redirects=False
    )
    assert back.headers["location"] == "/"  # only paths of this site: no open redirect


def test_the_enterprise_pages_are_translated_too(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent6")
    assert "我的政策" in client.get("/home").text
    assert "一键确认领取" in client.get(f"/policies/{OFFER}").text
    client.get("/lang/en")
    assert "Confirm and receive with one click" in client.get(f"/policies/{OFFER}").text


def test_every_message_has_a_chinese_translation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {m.id: m.string for m in catalog if m.id}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    used = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(WEB), method_map, options, keywords={"_": None, "gettext": None, "N_": None}
        )
        if isinstance(message, str)
    }
    missing = sorted(m for m in used if not translated.get(m))
    assert not missing, f"translate these in {PO} (make messages): {missing}"
    assert len(used) > 100


def test_units_are_translated_without_formatting() -> None:
    """Regression: ``_(g.unit)`` on the English "almost eligible" page %-formatted a
    ratio's unit, "%", and the page answered 500 (``ValueError: incomplete format``)."""
    from huiqi.web.render import environment

    unit = "{{ u | unit }}"
    assert environment("en").from_string(unit).render(u="%") == "%"
    assert environment("zh").from_string(unit).render(u="%") == "%"
    assert environment("en").from_string(unit).render(u="persons") == "persons"


# What a template may hand to ``_()`` besides a literal: names that hold the product's own
# catalogue texts (headings, status and step names, page titles). Anything else (a reason,
# an error from a service, a value from the identity provider) goes through ``message()``:
# the newstyle ``_()`` marks its result safe (no escaping) and %-formats it.
CATALOGUE_NAMES = {
    'attach_errors.get(attach_error, attach_errors["missing"]',
    "channel_names[r.channel]",
    "link_names[a.kind]",
    "heading",
    "name",
    "p.label",
    "p.title",
    "status_names[r.status]",
    "step_names[done]",
    "step_names[st.kind]",
    "title",
}


def test_templates_translate_only_their_own_texts() -> None:
    """Regression: ``_(c.reason)``, ``_(e)`` and ``_(sso_error)`` put a reason, an error or
    an identity provider's text through ``_()``: unescaped, and a '%' in it answered 500."""
    import re

    found = {
        (path.name, call)
        for path in (WEB / "templates").glob("*.html")
        for call in re.findall(r"""\b_\(([^'")][^)]*)\)""", path.read_text("utf-8"))
    }
    strays = sorted((name, call) for name, call in found if call not in CATALOGUE_NAMES)
    assert not strays, f"use message(...) for text that is not the product's own: {strays}"
    assert {call for _, call in found} == CATALOGUE_NAMES  # the list holds no stale entry


def test_a_message_is_escaped_and_never_formatted() -> None:
    from huiqi.web.render import environment

    page = environment("en").from_string("{{ message(m) }}")
    assert page.render(m="<i>50%</i>") == "&lt;i&gt;50%&lt;/i&gt;"


def test_a_service_refusal_reads_in_chinese_on_a_chinese_page(portal: Portal) -> None:
    """Regression: a refused form showed the service's English text on a zh page (an
    officer's reject, an enterprise's request)."""
    officer = sign_in(portal.client(), "officer")
    token = page_token(officer, "/console/applications")
    page = officer.post(
        "/console/applications/999999/reject", data={"csrf_token": token, "reason": "no"}
    )
    assert page.status_code == 404 and "没有编号为 999999 的待领取或兑现记录" in page.text
    assert "no offer or delivery record" not in page.text
    enterprise = sign_in(portal.client(), "ent5")
    token = page_token(enterprise, "/requests")
    page = enterprise.post(
        "/requests", data={"csrf_token": token, "category": "policy", "text": "x\x07"}
    )
    assert page.status_code == 400 and "诉求内容不能包含控制字符" in page.text
    enterprise.get("/lang/en")
    page = enterprise.post(
        "/requests", data={"csrf_token": token, "category": "policy", "text": "x\x07"}
    )
    assert "the request&#39;s text cannot contain control characters" in page.text


def test_the_request_and_correction_forms_refuse_in_chinese_and_keep_the_input(
    portal: Portal,
) -> None:
    """Regression: a request without a category read "'' 不是诉求类别；可选类别：financing,
    funding, …", an unpublished policy or another's grant and a mistyped correction read
    in English on a Chinese page."""
    enterprise = sign_in(portal.client(), "ent5")
    token = page_token(enterprise, "/requests")
    text = "我的诉求内容"
    page = enterprise.post("/requests", data={"csrf_token": token, "category": "", "text": text})
    assert page.status_code == 400 and "请选择诉求类别" in page.text and text in page.text
    assert "可选类别" not in page.text
    page = enterprise.post(
        "/requests",
        data={"csrf_token": token, "category": "policy", "text": text, "policy_id": "no-such"},
    )
    assert page.status_code == 400 and "政策“no-such”未发布" in page.text and text in page.text
    page = enterprise.post(
        "/requests",
        data={"csrf_token": token, "category": "funding", "text": text, "grant_id": "999999"},
    )
    assert page.status_code == 400 and "没有编号为 999999 的资金拨付" in page.text
    for value, words in (
        ("abc", "请填写整数（如 25），而不是 &#39;abc&#39;"),
        ("-5", "-5 超出合理范围"),
    ):
        page = enterprise.post(
            "/my-data/correct",
            data={
                "csrf_token": token,
                "field": "insured_employees",
                "year": "2025",
                "value": value,
                "comment": "说明",
            },
        )
        assert page.status_code == 400 and words in page.text, page.text
        assert "expected" not in page.text and "plausible" not in page.text
        assert "说明" in page.text


def test_a_status_in_a_refusal_reads_as_the_pages_name_it() -> None:
    """Regression: approving an unsubmitted application read "申报 12 的状态为
    “application_open”" on the console."""
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    text = "application 12 is 'application_open'; only submitted ones are decided"
    zh = localise(translations("zh-CN"), text)
    assert "application_open" not in zh and "“可申报”" in zh, zh
    assert "'application open'" in localise(translations("en"), text)


SAMPLES = {
    "code": "'50%'",
    "hex": "0000",
    "district": "310115",
    "districts": "310101, 310104",
    "version": "web-auto v2",
    "known": "a, b",
    "what": "the reason",
    "who": "ent (enterprise=91310115MA1H8R7C41)",
    # The policy texts' values (huiqi.web.policy_texts).
    "boolean": "true",
    "choices": "'auto', 'confirm'",
    "quoted": "'apply'",
    "percent": "10%",
    "wan": "3.6万",
    "ids": "['a']",
    "got_ids": "['a', 'b']",
    "more_ids": "['c']",
    # An industry class refused (huiqi.profiles.industry).
    "division": "99",
    "prefix": "C",
    "section": "I",
    "lines": "3, 5",
    # A USCC's check character refused (huiqi.profiles.uscc).
    "should": "'K'",
    # A registry file refused whole (huiqi.web.import_texts).
    "headers": "['编号', '名称']",
    "sheets": "['Sheet1']",
    "suffixes": ".csv, .xlsx",
    # A rejected row's column (huiqi.web.import_texts: a total row).
    "header": "'序号'",
    "other": "'营业收入(万元)'",
    "missing": "['年度']",
    "wanted": "['统一社会信用代码', '年度']",
    "found": "['统一社会信用代码']",
    "names": "['tax', 'statistics']",
    # A wide sheet's column with no year (huiqi.profiles.wide).
    "columns": "'纳税信用等级' (tax_credit_rating)",
    "years": "2023, 2024",
    "letter": "C",
    "other_letter": "D",
    "shown": "万元 (wan_yuan)",
    "own": "wan_yuan",
    "unit": "yuan",
    "field": "revenue",
    "uscc": "91310115MA1H8R7C41",
    "year": "2025",
    # A rejected row's reason (huiqi.web.import_row_texts).
    "keys": "uscc and year",
    "place": "北京市",
    "city": "上海市",
    # The rule compiler's advice for a figure in 万元 (huiqi.web.rule_texts).
    "scale": "万元",
    # Its advice for several values joined by OR, and for a yes/no written as text.
    "listed": "size_class IN ('small', 'micro')",
    "word": "FALSE",
    # A criterion's margin refused (huiqi.web.rule_texts).
    "example": "'10%'",
    "sign": "'%'",
    "wide": "'％'",
}


@pytest.mark.parametrize(
    ("code", "chinese"),
    [
        ("9912", "'9912'：国民经济行业分类（GB/T 4754-2017）中没有大类 99（大类代码为 01 至 97）"),
        ("C6513", "'C6513'：门类字母 C 与大类 65 不符，该大类属于门类 I"),
    ],
)
def test_an_industry_class_refused_reads_in_chinese(code: str, chinese: str) -> None:
    """Regression (QA, session 29): the calculator said "division 99 belongs to no …
    section" in English on a Chinese page."""
    from huiqi.profiles.industry import IndustryCodeError, normalise_class
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    with pytest.raises(IndustryCodeError) as refused:
        normalise_class(code)
    assert localise(translations("zh-CN"), str(refused.value)) == chinese


def test_each_refusal_template_gives_back_the_service_text_and_its_values() -> None:
    from huiqi.web.cli_texts import web_wording
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import REFUSALS, localise

    zh = translations("zh-CN")
    for pattern, template in REFUSALS:
        names = set(pattern.groupindex)
        assert set(re.findall(r"%\((\w+)\)s", template)) == names, template
        assert set(re.findall(r"%\((\w+)\)s", zh.gettext(template))) == names, template
        # A text naming a CLI command reads in the web's wording (huiqi.web.cli_texts),
        # with some of the values or all.
        web = web_wording(template)
        assert set(re.findall(r"%\((\w+)\)s", zh.gettext(web))) <= names, template
        text = template % {name: SAMPLES.get(name, "7") for name in names}
        assert pattern.fullmatch(text), template  # the template is the service's text
        if web == template:
            assert localise(translations("en"), text) == text
        else:
            assert localise(translations("en"), text) != text
        assert localise(zh, text) != text
    assert localise(zh, "a visitor's 100% own text") == "a visitor's 100% own text"


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("no request 999", "没有编号为 999 的诉求"),
        ("no complainant 12", "没有编号为 12 的投诉人"),
        (
            "'外星局' is not a department of the desk; departments: 市财政局, 区科委",
            "'外星局' 不是受理部门；可选部门：市财政局, 区科委",
        ),
        (
            "request 4 is closed: its answer is rated already, and a closed request takes no"
            " more ratings; file a new request if the problem remains",
            "诉求 4 已办结：答复已评价，办结的诉求不再接受评价；如问题仍未解决，请提交新的诉求",
        ),
        (
            "request 4 is reopened: rate it once it is answered",
            "诉求 4 当前为“重新办理”：答复后才能评价",
        ),
        (
            "request 4 is answered: it can be acknowledged when it is open",
            "诉求 4 当前为“已答复”：只有待受理的诉求可以受理",
        ),
        (
            "request 4 is closed: it can be answered when it is open or acknowledged or reopened",
            "诉求 4 当前为“已办结”：只有待受理、办理中或重新办理的诉求可以答复",
        ),
        (
            "request 4 is answered: it can be transferred when it is open or acknowledged or"
            " reopened",
            "诉求 4 当前为“已答复”：只有待受理、办理中或重新办理的诉求可以转办",
        ),
        ("the answer to request 4 is rated already", "诉求 4 的答复已经评价过"),
        ("request 4 is already with 市财政局", "诉求 4 已由 市财政局 承办"),
        (
            "the year 2099 has not come yet: give a year up to 2026",
            "2099 年尚未到来：请填写 2026 年及以前的年份",
        ),
        (
            "2099-01-01 is after today, 2026-12-02: give the date it took effect",
            "2099-01-01 晚于今天（2026-12-02）：请填写实际生效的日期",
        ),
        (
            "huiqi holds 12 for 'insured_employees' (2025) already: give the value you believe"
            " is right, if it differs",
            "惠企现有的数值即为 12（insured_employees (2025)）：请填写您认为正确且与之不同的数值",
        ),
    ],
)
def test_desk_and_complaint_refusals_read_in_chinese(text: str, chinese: str) -> None:
    """Regression: a request or complainant that is not there, and a transfer to a
    department the desk does not know, showed English on the Chinese console (and a
    correction of a year or date still to come on the Chinese correction form); so did a
    step sent again after the request moved on (acknowledged, answered, rated already)."""
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    assert localise(translations("zh-CN"), text) == chinese
    assert localise(translations("en"), text) == text


def test_an_access_refusal_reads_in_chinese_with_the_action_and_roles_named() -> None:
    """Regression: an enterprise claiming another's offer read "ent (enterprise=…) may not
    claim this offer; allowed: …" in English on the Chinese page; the account's own roles
    were still their codes (qa9)."""
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    text = (
        "ent (enterprise=91310115MA1H8R7C41) may not claim this offer;"
        " allowed: enterprise=91310115MA1H8R7C41, park_operator"
    )
    assert localise(translations("zh-CN"), text) == (
        "ent（企业：91310115MA1H8R7C41） 无权执行此操作（领取此项补贴）；"
        "有权限的角色：企业 91310115MA1H8R7C41、园区运营方"
    )
    assert localise(translations("en"), text) == text


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        (
            "ent (enterprise=91310115MA1H8R7C41) may not claim this offer; allowed: the"
            " enterprise itself, its park operator",
            "领取此项补贴）；有权限的角色：企业本身、其所在园区运营方",
        ),
        (
            "finance (finance_officer) may not resolve review flags; allowed: policy_reviewer"
            " with a scope covering city 310000, 上海市人力资源和社会保障局",
            "处理复核标记）；有权限的角色：政策审核人员（职权范围包括 全市, 上海市人力资源和社会保障局）",
        ),
        (
            "ent2 (enterprise=91310115MA1H8R7C41) may not list disbursement batches; allowed:"
            " finance_officer, admin",
            "查看拨付批次）；有权限的角色：财务人员、系统管理员",
        ),
        (
            "ent (enterprise=91310115MA1H8R7C41) may not read request 1; allowed: the"
            " enterprise itself, its park operator, desk officers of 市经济信息化委",
            "查看诉求 1）；有权限的角色：企业本身、其所在园区运营方、市经济信息化委 的诉求受理人员",
        ),
        # Found in English on Chinese pages by an outside QA pass: a desk step on another
        # department's request, another enterprise's inbox, grant notice or attachments.
        (
            "ent (enterprise=91310000MA4159R09U) may not handle request 2; allowed: desk"
            " officers of 市财政局",
            "办理诉求 2）；有权限的角色：市财政局 的诉求受理人员",
        ),
        (
            "deskfin (desk_officer=department:市财政局) may not reply to request 3; allowed:"
            " desk officers of 市经济信息化委",
            "答复诉求 3）；有权限的角色：市经济信息化委 的诉求受理人员",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not read request 2; allowed: the"
            " enterprise itself, its park operator, the desk officers of the request's"
            " department",
            "查看诉求 2）；有权限的角色：企业本身、其所在园区运营方、该诉求承办部门的诉求受理人员",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not read this inbox; allowed: the"
            " enterprise itself, its park operator",
            "查看此消息箱）；有权限的角色：企业本身、其所在园区运营方",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not read the notice of grant 1; allowed:"
            " the enterprise itself, its park operator, officers whose scope covers the policy",
            "查看资金 1 的告知书）；有权限的角色：企业本身、其所在园区运营方、"
            "职权范围包括该政策的政策官员",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not read the attachments of application"
            " 12029; allowed: the enterprise itself, its park operator, reviewers whose scope"
            " covers the policy",
            "查看申报 12029 的附件）；有权限的角色：企业本身、其所在园区运营方、"
            "职权范围包括该政策的政策审核人员",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not read attachment 7; allowed: the"
            " enterprise itself, its park operator, reviewers whose scope covers the policy",
            "查看附件 7）；有权限的角色：企业本身、其所在园区运营方、"
            "职权范围包括该政策的政策审核人员",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not remove attachment 7; allowed: the"
            " enterprise itself, its park operator",
            "删除附件 7）；有权限的角色：企业本身、其所在园区运营方",
        ),
        (
            "ent (enterprise=91310000MA4159R09U) may not rate grant:1; allowed: the enterprise"
            " itself, its park operator",
            "评价资金 1）；有权限的角色：企业本身、其所在园区运营方",
        ),
    ],
)
def test_an_access_refusal_names_the_action_and_the_roles_in_chinese(
    text: str, chinese: str
) -> None:
    """Regression (QA): Chinese refusal pages read '无权执行此操作（claim this offer）；
    有权限的角色：the enterprise itself, its park operator'."""
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    shown = localise(translations("zh-CN"), text)
    assert shown.endswith(chinese), shown
    assert localise(translations("en"), text) == text


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("no grant 4805 of yours", "您名下没有编号为 4805 的资金"),
        ("the reason is 3000 characters; at most 2000", "理由有 3000 个字符；最多 2000 个"),
        (
            "paid date 2026-12-05 is in the future (today is 2026-12-04); a result is recorded"
            " once the bank has paid",
            "支付日期 2026-12-05 晚于今天（2026-12-04）；银行实际支付后才能登记结果",
        ),
        (
            "'nosuchfield' is not a field of the data dictionary",
            "'nosuchfield' 不是数据字典中的字段",
        ),
        ("Not Found", "页面不存在"),
        ("no request file 1", "没有编号为 1 的诉求附件"),
        ("no attachment 7", "没有编号为 7 的申报附件"),
        (
            "'college_staff' is held per year: give the year (such as 2025)",
            "“college_staff”按年度记录：请填写年度（如 2025）",
        ),
        ("'name' is not held per year: give no year", "“name”不按年度记录：请不要填写年度"),
        (
            "the year is between 1990 and 2100, not 1800",
            "年度应在 1990 至 2100 之间，而不是 1800",
        ),
        (
            "test case 'x': profile field 'energy_consumption' 2025: write a number as an"
            ' integer or a quoted decimal, not 120.5: write "120.5"',
            "测试用例“x”：企业数据字段“energy_consumption”（2025）："
            '数值请写整数或加引号的小数，不要写 120.5：请改为 "120.5"',
        ),
        # Regression (qa1, 2026-12-05): rejected rows' reasons on the console's import page.
        (
            "'abc' is not a number; write digits with at most 6 decimals, e.g. 1234.5",
            "'abc' 不是数字：请只填写数字，最多 6 位小数，例如 1234.5",
        ),
        (
            "'合计' in column '序号' with no USCC starts a total row, not an enterprise's:"
            " delete the row (totals are not imported; the other rows are)",
            "'序号' 列写有 '合计' 而统一社会信用代码为空：这是合计行，不是企业的数据；"
            "请删除该行（合计行不导入，其他行照常导入）",
        ),
        (
            "'合计' starts a total row, not an enterprise's: delete the row (totals are not"
            " imported; the other rows are)",
            "'合计' 表示这是合计行，不是企业的数据；请删除该行（合计行不导入，其他行照常导入）",
        ),
        (
            "tax.csv, line 635: 91310114MADQ6PGG8L 2022: reported 'small', derived 'micro' from"
            " employees, revenue and total assets",
            "tax.csv，第 635 行：91310114MADQ6PGG8L 2022 年度：报送的规模为 'small'，"
            "按从业人员、营业收入和资产总额划分应为 'micro'",
        ),
    ],
)
def test_refusals_the_qa_pass_found_in_english_read_in_chinese(text: str, chinese: str) -> None:
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    assert localise(translations("zh-CN"), text) == chinese
