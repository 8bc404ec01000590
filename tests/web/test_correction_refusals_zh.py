"""A correction request decided twice (two stewards, or a page opened before the
decision) or unknown is refused in the page's language (QA: it read "correction request
1 is already accepted" on the Chinese console)."""

from __future__ import annotations

import pytest

from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


@pytest.mark.parametrize(("decision", "word"), [("accepted", "已采纳"), ("rejected", "未通过")])
def test_a_correction_decided_already_reads_in_chinese(decision: str, word: str) -> None:
    text = f"correction request 1 is already {decision}"  # huiqi.delivery.corrections
    assert localise(translations("zh-CN"), text) == f"更正申请 1 已有结论（{word}），无需再次处理"
    assert localise(translations("en"), text) == text


def test_an_unknown_correction_reads_in_chinese() -> None:
    text = "no correction request 999"
    assert localise(translations("zh-CN"), text) == "没有编号为 999 的更正申请"


def test_a_record_number_given_as_a_grant_reads_in_chinese() -> None:
    """The desk's refusal of a record number given as the grant (huiqi.desk.filing)."""
    text = "no grant 7 of enterprise 91310115MA1000001X; 7 is its delivery record, whose grant is 3"
    assert localise(translations("zh-CN"), text) == (
        "企业 91310115MA1000001X 没有编号为 7 的资金拨付；7 是它的服务记录编号，对应的资金拨付编号为 3"
    )
    short = "no grant 7 of enterprise 91310115MA1000001X"
    assert (
        localise(translations("zh-CN"), short) == "企业 91310115MA1000001X 没有编号为 7 的资金拨付"
    )
