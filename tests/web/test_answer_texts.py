"""A value that cannot be read, on a correction request or the calculator, is said in the
page's language (QA, qa5): "expected yes or no (true/false), got 'maybe'" read in
English on the Chinese correction form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from huiqi.matching.answers import EARLIEST_DATE, Question, check_answer
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise


def _refused(kind: str, value: Any) -> str:
    q = Question(key="x", field="x", label_zh="x", label_en="x", type=kind, source="tax")
    with pytest.raises(ValueError) as refused:
        check_answer(q, value)
    return str(refused.value)


@pytest.mark.parametrize(
    ("kind", "value", "chinese"),
    [
        ("boolean", "maybe", "请选择“是”或“否”，而不是 'maybe'"),
        ("money", float("nan"), "请填写数字，而不是 nan"),
        ("money", True, "请填写数字，而不是“是/否”"),
        ("date", EARLIEST_DATE - dt.timedelta(days=1), "不在"),
        ("tags", "AI Chips", "['AI Chips']"),
        ("tags", 7, "逗号"),
    ],
)
def test_an_answer_refused_reads_in_chinese_and_as_written_in_english(
    kind: str, value: Any, chinese: str
) -> None:
    text = _refused(kind, value)
    said = localise(translations("zh-CN"), text)
    assert chinese in said and said != text, (text, said)
    assert localise(translations("en"), text) == text
