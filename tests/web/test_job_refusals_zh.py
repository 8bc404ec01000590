"""Resuming a publish job that cannot be resumed reads in the page's language (QA: a job
page opened while the job ran, its 'deliver the rest' button sent once the job was done,
showed the service's English on the Chinese console)."""

from __future__ import annotations

import pytest

from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


@pytest.mark.parametrize(
    ("state", "word"), [("done", "已完成"), ("running", "进行中"), ("failed", "失败")]
)
def test_a_job_not_resumed_reads_in_chinese(state: str, word: str) -> None:
    text = (
        f"job 3 is {state}: only a job that stopped after publishing its version is"
        " delivered again"
    )  # as huiqi.delivery.publishjob.resume_job words it
    assert localise(translations("zh-CN"), text).startswith(f"任务 3 当前为“{word}”")
    assert localise(translations("en"), text) == text


def test_an_unknown_job_reads_in_chinese() -> None:
    assert localise(translations("zh-CN"), "no job 999") == "没有编号为 999 的任务"
