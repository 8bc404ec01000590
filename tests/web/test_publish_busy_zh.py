"""A draft published while a job already publishes it is refused in the page's language
(QA: a second officer's publish click, or the same officer's second tab, read the
service's English on the Chinese console)."""

from __future__ import annotations

import datetime as dt

from huiqi.delivery.publishjob import _busy
from huiqi.jobs.models import Job
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def test_a_publish_refused_as_busy_reads_in_chinese() -> None:
    zh = translations("zh-CN")
    job = Job(id=7, policy_id="qa3-test-2026", started_by="li.wei")
    job.created_at = dt.datetime(2026, 12, 4, 20, 28, 6)
    shown = localise(zh, str(_busy("qa3-test-2026", job)))
    assert shown.startswith(
        "qa3-test-2026 正在发布中（任务 7，由 li.wei 于 UTC 时间 20:28:06 开始）"
    )
    assert (
        localise(zh, str(_busy("qa3-test-2026", None))) == "qa3-test-2026 正在发布中：请等待其完成"
    )
