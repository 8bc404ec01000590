"""Console refusals about publishing read in the page's language (QA: a job resumed that
cannot be resumed, such as a job page's 'deliver the rest' button sent once the job was
done, or a version retired that names none, showed the service's English)."""

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


def test_an_unknown_version_retired_reads_in_chinese() -> None:
    """Regression (QA): retiring a version number that names none (a list page opened
    long before) read "no published policy version with id 9999" on the Chinese console."""
    text = "no published policy version with id 9999"  # huiqi.delivery.versions
    assert localise(translations("zh-CN"), text) == "没有编号为 9999 的已发布政策版本"
