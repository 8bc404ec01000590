"""Refusals that read in English on Chinese pages (QA).

A page's address with a value its parameter cannot take (``/home?page=-1``,
``/requests/abc``) showed Pydantic's words ("query.page: Input should be greater than or
equal to 1"); a mistyped USCC (a park operator filing a request for one of its
enterprises, ``/almost?uscc=…``) showed the validator's ("'X' has 1 characters; a USCC
has exactly 18"). Both now read in the page's language."""

from __future__ import annotations

import html
import re

import pytest
from portal_data import PASSWORD, Portal, page_token, sign_in

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.profiles.uscc import USCCError, validate
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"(?s)<script.*?</script>|<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("path", "chinese"),
    [
        ("/home?page=-1", "页面地址中的 page=-1 无法使用"),
        ("/home?page=abc", "页面地址中的 page=abc 无法使用"),
        ("/requests/abc", "页面地址中的 request_id=abc 无法使用"),
    ],
)
def test_a_value_the_address_cannot_take_is_refused_in_chinese(
    portal: Portal, path: str, chinese: str
) -> None:
    client = sign_in(portal.client(), "ent0")
    page = client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 400
    assert chinese in _text(page.text) and "Input should" not in page.text
    # The API keeps its structured 422.
    api = client.get("/api/v1/records?limit=-1")
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize(
    ("code", "chinese"),
    [
        ("X", "'X' 有 1 个字符；统一社会信用代码应为 18 位"),
        ("91310115MA1H8R7C4!", "'91310115MA1H8R7C4!'：第 18 位 '!' 不能出现在统一社会信用代码中"),
        ("91310115MA1H8R7C4O", "不使用 I、O、S、V、Z"),
        ("91310115MA1H8R7C40", "校验位是 '0'，应为"),
        ("91ABCDEFMA1H8R7C41", "第 3 至 8 位应为 6 位行政区划代码"),
        ("91310115MA1H8R7C4\u200b", "第 18 位是不可见字符（U+200B）"),
    ],
)
def test_a_mistyped_uscc_reads_in_chinese(code: str, chinese: str) -> None:
    with pytest.raises(USCCError) as refused:
        validate(code, prefixes=None)
    zh = localise(translations("zh-CN"), str(refused.value))
    assert chinese in zh, zh
    assert localise(translations("en"), str(refused.value)) == str(refused.value)


def test_a_park_operator_filing_for_a_mistyped_uscc_reads_chinese(portal: Portal) -> None:
    """The refused form was a 403 page: listing the requests of the typed USCC was refused
    before the form could say why beside the field."""
    with transaction(portal.factory) as s:
        admin = accounts.actor_of(accounts.find_user(s, "admin"))
        accounts.add_user(
            s,
            actor=admin,
            username="park-qa3",
            roles=[RoleGrant(Role.PARK_OPERATOR, "QA3测试园")],
            password=PASSWORD,
        )
    client = sign_in(portal.client(), "park-qa3")
    made = client.post(
        "/requests",
        data={
            "csrf_token": page_token(client, "/requests"),
            "uscc": "X",
            "category": "funding",
            "text": "x",
        },
    )
    assert made.status_code == 400, made.text[-1500:]
    assert "&#39;X&#39; 有 1 个字符；统一社会信用代码应为 18 位" in made.text


def test_the_grants_page_refuses_a_desk_officer_in_chinese(portal: Portal) -> None:
    """It said "desk-policy (desk_officer=…) may not read delivery records" in English."""
    page = sign_in(portal.client(), "desk-policy").get("/grants")
    assert page.status_code == 403
    assert "无权查看发放记录" in page.text and "may not read" not in page.text


def test_an_empty_reason_for_paying_again_reads_in_chinese() -> None:
    """The finance page's re-payment form said "请填写the reason for paying again"."""
    assert (
        localise(translations("zh-CN"), "the reason for paying again is required")
        == "请填写再次支付的原因"
    )


def test_the_requests_of_a_mistyped_uscc_are_refused_in_chinese(portal: Portal) -> None:
    """/requests?uscc=-1 read "无权执行此操作（read the requests of -1）"; it now says what
    is wrong with the code (a 400, as /almost and /my-data say it)."""
    page = sign_in(portal.client(), "ent0").get("/requests?uscc=-1")
    assert page.status_code == 400
    assert "'-1' 有 2 个字符" in html.unescape(page.text) and "characters" not in page.text


def test_a_text_value_over_its_length_reads_in_chinese() -> None:
    """Regression (QA): a company name of 5000 characters reported as the right value was
    refused "at most 400 characters" in English on the Chinese correction form."""
    from huiqi.matching.answers import check_answer, question_of
    from huiqi.profiles.dictionary import load_dictionary

    field = load_dictionary().get("name")
    assert field is not None
    with pytest.raises(ValueError) as refused:
        check_answer(question_of(field), "长" * 401)
    assert localise(translations("zh-CN"), str(refused.value)) == "最多 400 个字符"
