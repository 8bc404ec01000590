"""A payment result file refused as a whole (undecodable, not a workbook, a header
alone, no grant_id/result column, an unclosed quote; a row's amount that is no amount)
reads in the page's language on the finance page (QA: these showed the service's English on
the Chinese page)."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from portal_data import Portal, page_token, sign_in

from huiqi.money import parse_yuan
from huiqi.profiles.csvrecords import _quote_problem
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


@pytest.fixture(scope="module")
def finance(portal: Portal) -> tuple[TestClient, str]:
    client = sign_in(portal.client(), "finance")
    return client, page_token(client, "/console/finance")


@pytest.mark.parametrize(
    ("name", "content", "chinese"),
    [
        ("r.csv", b"\x00\x01garbage\xff\xfe", "无法按 csv 文件读取 'r.csv'（UnicodeDecodeError）"),
        ("r.xlsx", b"PK\x03\x04not a workbook", "无法按 xlsx 文件读取 'r.xlsx'（BadZipFile）"),
        ("r.csv", b"grant_id,result,reason\n", "文件只有表头，没有结果行"),
        ("r.csv", b"a,b\n1,2\n", "表头缺少 grant_id 或 result 列"),
        ("r.csv", b'grant_id,result,reason\n"1,paid,\n', "第 1 列的单元格以引号开头"),
    ],
)
def test_a_refused_results_file_reads_in_chinese(
    finance: tuple[TestClient, str], name: str, content: bytes, chinese: str
) -> None:
    client, token = finance
    client.cookies.set("huiqi_lang", "zh-CN")
    got = client.post(
        "/console/finance/payments",
        data={"csrf_token": token},
        files={"file": (name, content, "application/octet-stream")},
    )
    shown = html.unescape(got.text)
    assert got.status_code == 400
    assert chinese in shown, shown[-3000:]
    for english in (
        "cannot read",
        "has a header but",
        " or result",
        "a quote opens",
        "not an amount",
    ):
        assert english not in shown


def test_the_service_texts_match_their_templates() -> None:
    """The templates reproduce the services' English exactly (else nothing is translated)."""
    zh = translations("zh-CN")
    with pytest.raises(ValueError) as refused:
        parse_yuan("abc")
    assert localise(zh, str(refused.value)).startswith("'abc' 不是以元为单位")
    assert localise(zh, _quote_problem('"1,paid', ",", "x")).startswith("第 1 列的单元格")
    assert localise(zh, _quote_problem("1,paid", ",", "bad")).startswith(
        "本行无法拆分为单元格（bad）"
    )
