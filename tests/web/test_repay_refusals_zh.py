"""The finance page's 'Pay again' refusals read in the page's language (QA: a form sent
twice, or for a grant paid meanwhile, showed the service's English on the Chinese page)."""

from __future__ import annotations

import pytest

from huiqi.delivery.models import BatchItem, Grant
from huiqi.delivery.repayment import _not_failed
from huiqi.delivery.statuses import GrantStatus
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


@pytest.mark.parametrize(
    ("status", "batch", "chinese"),
    [
        (GrantStatus.PAID, 2, "资金 7 已在批次 2 中支付；已支付的资金不会再次支付"),
        (GrantStatus.PAID, None, "资金 7 已支付；已支付的资金不会再次支付"),
        (GrantStatus.IN_BATCH, 3, "资金 7 在批次 3 中，尚待支付结果"),
        (GrantStatus.GRANTED, 2, "资金 7 已批准、尚未纳入批次（已放行重新拨付）"),
        (GrantStatus.GRANTED, None, "资金 7 已批准、尚未纳入批次；点击本页“导出新批次”"),
        ("withdrawn", None, "资金 7 当前为“"),
    ],
)
def test_a_grant_not_released_reads_in_chinese(
    status: str, batch: int | None, chinese: str
) -> None:
    grant = Grant(id=7, status=status)
    item = BatchItem(batch_id=batch) if batch is not None else None
    text = _not_failed(grant, item)
    shown = localise(translations("zh-CN"), text)
    assert shown.startswith(chinese), (text, shown)
    english = localise(translations("en"), text)
    assert "'huiqi " not in english and english.split(";")[0] == text.split(";")[0]


def test_an_unknown_grant_reads_in_chinese() -> None:
    text = "no grant 99999; 'huiqi grants --status payment_failed' lists them"
    assert localise(translations("zh-CN"), text).startswith("没有编号为 99999 的资金")
