"""A top-up refused while the group's grant it would add to is flagged, and a top-up flag
closed on newer data, read in the page's language (qa11)."""

from __future__ import annotations

from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def test_a_top_up_on_a_flagged_grant_reads_in_chinese() -> None:
    text = (  # huiqi.delivery.topup.grant_top_up
        "record 9: the group's grant it would add to (record 4) is flagged for review;"
        " decide that flag first: keep it, then top up this record, or withdraw it"
    )
    assert localise(translations("zh-CN"), text) == (
        "记录 9：其所要补差的同组资金拨付（记录 4）已被标记待复核；"
        "请先处理该标记：维持后再为本记录补发差额，或将其撤回"
    )
    assert localise(translations("en"), text) == text


def test_a_closed_top_up_flag_reads_in_chinese() -> None:
    text = "no longer eligible on snapshot 3 under grp-high v1: no top-up is due"
    assert localise(translations("zh-CN"), text) == (
        "按数据快照 3，grp-high v1 下已不再符合条件：无需补发差额"
    )


def test_a_top_up_of_a_replaced_version_reads_in_chinese() -> None:
    text = (  # huiqi.delivery.topup.grant_top_up (qa13)
        "record 9: grp-high v2 is published and delivers instead of this record's version;"
        " deliver it, then decide its own record"
    )
    assert localise(translations("zh-CN"), text) == (
        "记录 9：grp-high v2 已发布，将取代本记录所属版本进行推送；请先推送该版本，再处理其自身的记录"
    )
    assert localise(translations("en"), text) == text
