"""What an enterprise is told, in Chinese, when a claim or an approved application gives no
grant. The ledger keeps the precise reason in English for officers and the audit log
(which group, which amounts; the pages translate it); the message in the inbox, email and
log channel says in plain Chinese which rule applied, and points to the policy page for
the figures (regression: the exclusivity reason reached a Chinese inbox in English)."""

from __future__ import annotations

from huiqi.delivery.statuses import RecordStatus

REFUSED_ZH: dict[str, str] = {
    RecordStatus.EXCLUDED: (
        "根据“就高不重复”原则，贵企业已获得（或将获得）同类政策中金额不低于本项的支持，"
        "本项不再重复发放。"
    ),
    RecordStatus.CAPPED: "贵企业在该类政策下的每户限额已经用完，本项不再发放。",
    RecordStatus.BUDGET_EXHAUSTED: "本政策的预算已按申领先后顺序发放完毕，本项未能发放。",
    RecordStatus.ZERO_AMOUNT: "按最新数据计算，本项金额为 0 元，不予发放。",
}


def refused_body_zh(status: str) -> str:
    """The message body for a refusal of ``status`` (a record status)."""
    why = REFUSED_ZH.get(status, "本项未能发放。")  # a StrEnum key is found by its text
    return f"{why}具体原因和金额请在政策页面查看。"
