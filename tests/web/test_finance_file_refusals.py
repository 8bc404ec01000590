"""A payment result file refused as a whole (undecodable, not a workbook, a header
alone, no grant_id/result column, an unclosed quote; a row's amount that is no amount)
reads in the page's language on the finance page (QA: these showed the service's English on
the Chinese page)."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from portal_data import Portal, page_token, sign_in

from huiqi.delivery.models import Grant
from huiqi.delivery.paymentrows import contradiction
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
        # Regression (QA): the Python exception's class was named ("BadZipFile").
        (
            "r.csv",
            b"\x00\x01garbage\xff\xfe",
            "无法按 csv 文件读取 'r.csv'：文件已损坏或并非该类型",
        ),
        (
            "r.xlsx",
            b"PK\x03\x04not a workbook",
            "无法按 xlsx 文件读取 'r.xlsx'：文件已损坏或并非该类型",
        ),
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
        "Error",
        "BadZipFile",
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


@pytest.mark.parametrize(
    ("recorded", "status", "chinese"),
    [
        ("paid", "paid", "补贴 7 在批次 2 中已登记为支付成功；本系统不会撤销或重复支付"),
        ("failed", "granted", "补贴 7 在批次 2 中的支付已登记为失败，此后已放行重新拨付"),
        ("failed", "payment_failed", "请在问题解决后于“拨付失败”一栏放行重新拨付"),
    ],
)
def test_a_result_contradicting_the_recorded_one_reads_in_chinese(
    recorded: str, status: str, chinese: str
) -> None:
    """Regression (QA): a results file sent again with the other result showed its rows'
    refusals in English on the Chinese finance page, as did the rows below."""
    text = contradiction(Grant(id=7, status=status), 2, recorded)
    shown = localise(translations("zh-CN"), text)
    assert chinese in shown and "grant 7" not in shown, shown


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        (
            "grant 1 was paid again after a failure and is in batches 1, 2; give the batch_id"
            " column (as exported) so that the row says which payment it answers for",
            "补贴 1 支付失败后已重新拨付，出现在批次 1, 2 中",
        ),
        ("grant 2 is not in batch 99; it is in batch 2", "补贴 2 不在批次 99 中；它在批次 2 中"),
        ("batch id 'abc' is not a whole number", "批次号 'abc' 不是整数"),
        # Regression (qa1): a bank file's total row and an empty grant id (delivery.payments).
        (
            "'合计' starts a total row, not a payment result: delete the row (totals are not"
            " read; the other rows are)",
            "“合计”所在行是合计行，不是支付结果",
        ),
        # QA (qa5): a signature line below the bank's table.
        (
            "'制表人：王五' is a note below the table, not a payment result: delete the row"
            " (notes are not read; the other rows are)",
            "'制表人：王五' 是表格下方的注释，不是支付结果",
        ),
        (
            "the grant id is empty: write the grant's number as the batch file has it"
            " (column grant_id, 补贴编号)",
            "补贴编号为空",
        ),
        (
            "paid date 2020-01-01 is before batch 2 was exported (2026-12-05); check the date"
            " the bank paid",
            "支付日期 2020-01-01 早于批次 2 的导出日期（2026-12-05）",
        ),
        (
            "grant 3 is superseded and was never exported; it is not to be paid",
            "补贴 3 当前为“",
        ),
    ],
)
def test_a_refused_row_reads_in_chinese(text: str, chinese: str) -> None:
    assert localise(translations("zh-CN"), text).startswith(chinese)
