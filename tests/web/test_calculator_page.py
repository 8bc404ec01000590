"""/calculator: anyone answers a few questions and sees which policies may apply."""

from __future__ import annotations

import re

from portal_data import OFFER, Portal


def _insured_key(portal: Portal) -> str:
    questions = portal.client().get("/api/v1/calculator/questions").json()
    return next(q["key"] for q in questions if q["field"] == "insured_employees")


def test_the_calculator_page_answers_in_chinese_without_an_account(portal: Portal) -> None:
    client = portal.client()
    blank = client.get("/calculator")
    assert blank.status_code == 200
    assert "政策计算器" in blank.text and 'class="results"' not in blank.text  # none before asking
    assert "数据年度 (人)" in blank.text  # a yearly figure says its year, its unit in Chinese
    key = _insured_key(portal)
    answered = client.get("/calculator", params={key: "5", "check": "1", "stranger": "x"})
    assert answered.status_code == 200, answered.text
    assert "<h2>可能适用 (" in answered.text
    may_apply = answered.text.split("verdict-may_apply")[1].split("</ul>")[0]
    assert f'href="/policies/{OFFER}"' in may_apply and "5,000.00" in may_apply
    # the answer stays in its field, escaped
    assert re.search(rf'name="{re.escape(key)}" value="5"', answered.text)


def test_a_refused_answer_is_shown_next_to_its_field(portal: Portal) -> None:
    client = portal.client()
    key = _insured_key(portal)
    response = client.get("/calculator", params={key: "<b>many</b>", "check": "1"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text and 'class="field-error"' in response.text
    assert "<b>many</b>" not in response.text  # escaped wherever it is echoed
    assert 'class="results"' not in response.text
    # In Chinese on the Chinese page (regression: the services' English text).
    assert "请填写整数（如 25）" in response.text and "whole number" not in response.text
    from huiqi.web.i18n import translations
    from huiqi.web.refusals import localise

    zh = translations("zh-CN")
    for text, says in (  # the answers' other refusals, as huiqi.matching.answers words them
        ("expected a date YYYY-MM-DD, got '2020-13-45'", "请按 YYYY-MM-DD 填写日期"),
        (
            "'12' is not a GB/T 4754-2017 class: expected 4 digits such as 6513, optionally"
            " after its section letter (I6513)",
            "不是国民经济行业小类代码",
        ),
        ("-5 is outside the plausible range 0..10000000000000 yuan", "-5 超出合理范围"),
        ("at most 2 decimal places, got 1.234", "最多 2 位小数"),
        (
            "2030-01-01 is after today, 2026-12-04: give a date that has passed",
            "2030-01-01 晚于今天（2026-12-04）：请填写已经过去的日期",
        ),
    ):
        assert says in localise(zh, text)


def test_the_calculator_page_in_english(portal: Portal) -> None:
    client = portal.client()
    client.cookies.set("huiqi_lang", "en")
    response = client.get("/calculator", params={_insured_key(portal): "5", "check": "1"})
    assert "Policy calculator" in response.text and "<h2>May apply (" in response.text
