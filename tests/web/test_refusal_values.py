"""Who may, as a refusal lists it, in the page's language (QA, qa5): a data steward
opening the requests page read "有权限的角色：enterprises、park operators、诉求受理人员", and
the ratings dashboard named "policy officers" in English."""

from __future__ import annotations

import pytest
from portal_data import Portal, sign_in

from huiqi.web.i18n import translations
from huiqi.web.refusal_values import allowed, who
from huiqi.web.refusals import localise


@pytest.mark.parametrize(
    ("written", "chinese"),
    [
        ("enterprises, park operators, desk officers", "企业、园区运营方、诉求受理人员"),
        ("policy officers", "政策官员"),
    ],
)
def test_the_kinds_of_account_read_in_chinese_and_as_written_in_english(
    written: str, chinese: str
) -> None:
    assert allowed(translations("zh-CN"), written) == chinese
    assert allowed(translations("en"), written) == written


def test_a_steward_refused_the_requests_page_reads_who_may_in_chinese(portal: Portal) -> None:
    client = sign_in(portal.client(), "steward")
    page = client.get("/requests")
    assert page.status_code == 403
    assert "有权限的角色：企业、园区运营方、诉求受理人员" in page.text, page.text
    assert "park operators" not in page.text and "enterprises" not in page.text


def test_a_refused_retirement_names_the_action_as_the_page_does() -> None:
    """Regression (qa8): the policies page's button reads 停用 (retire) but its refusal read
    "无权执行此操作（停止 … v1）", another word for the same action."""
    refused = (
        "ja.author (policy_author=district:310106) may not retire ja-hte-award-2026 v1; allowed:"
        " policy_publisher with a scope covering district 310106, 静安区科学技术委员会"
    )
    zh = localise(translations("zh-CN"), refused)
    assert "（停用 ja-hte-award-2026 v1）" in zh, zh
    assert "停止" not in zh
    assert translations("zh-CN").gettext("retire policy versions") == "停用政策版本"


@pytest.mark.parametrize(
    ("written", "chinese"),
    [
        ("complaints (complaint_officer)", "complaints（投诉处理人员）"),
        (
            "d (desk_officer=department:市财政局, policy_author=district:310114, desk_head=*)",
            "d（诉求受理人员：市财政局、政策起草人员：310114 区、诉求部门负责人：*）",
        ),
        ("x (no roles)", "x（无角色）"),
        ("odd (someone)", "odd（someone）"),  # a role huiqi does not know: as written
    ],
)
def test_the_refused_account_names_its_roles_in_chinese(written: str, chinese: str) -> None:
    """QA (qa9): a complaints officer refused a page read "complaints (complaint_officer)
    无权执行此操作": the account's roles were their codes. The English page keeps them."""
    assert who(translations("zh-CN"), written) == chinese
    assert who(translations("en"), written) == written


def test_a_steward_refused_a_console_page_reads_its_own_role_in_chinese(portal: Portal) -> None:
    client = sign_in(portal.client(), "steward")
    page = client.get("/console/requests")
    assert page.status_code == 403
    assert "steward（数据管理员） 无权执行此操作" in page.text, page.text
    assert "data_steward" not in page.text
