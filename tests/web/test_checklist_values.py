"""The policy page's checklist shows each value as a person reads it: the source registry
by its name, the unit in the page's language, yes or no, a code by its name; never the
dictionary's internal words ('social_insurance', 'persons', 'True', 'hukou')."""

from __future__ import annotations

import re

from portal_data import OFFER, Portal, sign_in

from huiqi.web.render import environment


def _checklist(html: str) -> str:
    found = re.search(r'<ul class="checklist">(.*?)</ul>\s*<h3>', html, re.S)
    assert found, html[-2000:]
    return found.group(1)


def test_the_checklist_names_the_registry_and_the_unit_in_each_language(portal: Portal) -> None:
    """Regression: the checklist read '3 persons (来源：social_insurance, 2025 年度)'."""
    client = sign_in(portal.client(), "ent3")
    zh = _checklist(client.get(f"/policies/{OFFER}").text)
    assert "人社局 社会保险" in zh and " 人" in zh
    assert "social_insurance" not in zh and "persons" not in zh
    client.get("/lang/en")
    en = _checklist(client.get(f"/policies/{OFFER}").text)
    assert "Human resources &amp; social security (social insurance)" in en
    assert "persons" in en and "social_insurance" not in en


def test_yes_no_and_codes_read_as_words() -> None:
    for language, yes, hukou, market in (
        ("zh-CN", "是", "本市户籍", "市场监管局 企业登记"),
        ("en", "Yes", "Shanghai hukou", "Market regulation (business registry)"),
    ):
        env = environment(language)
        held, registry = env.filters["held"], env.filters["registry"]
        assert held(True, {"field": "founder_first_business"}) == yes
        assert held("hukou", {"field": "legal_rep_residency"}) == hukou
        assert held(7, {"field": "insured_employees"}) == 7
        assert held("x", {}) == "x"
        assert registry("market") == market
        assert registry("no_such_registry") == "no_such_registry"


def test_a_held_number_reads_without_its_stored_scale() -> None:
    """Regression (QA): /my-data showed an office's floor area as 8.420000 平方米."""
    from decimal import Decimal

    from huiqi.web.render import _plain

    assert _plain(Decimal("8.420000")) == "8.42"
    assert _plain(Decimal("1200.000")) == "1200"
    assert _plain(Decimal("0.000")) == "0"
    assert _plain(7) == 7 and _plain("x") == "x"


def test_my_data_and_the_correction_form_show_a_held_decimal_as_written() -> None:
    """Regression (qa4): /my-data still showed 96.880000 平方米, and the correction form's
    "value held" 96.880000 平方米 and 34855573.45 元: my_data gives a value in its exact JSON
    form, a decimal as a string, which the filter above let through as it was."""
    from huiqi.matching.mydata import HeldValue

    def held(field: str, value: object, unit: str) -> HeldValue:
        return HeldValue(
            field, "标签", "label", "decimal", None, value, unit, "park", "园区", "park"
        )

    shown = environment("zh-CN").from_string(
        '{% from "_macros.html" import held_value %}{{ held_value(v, "zh-CN") }}'
    )
    assert shown.render(v=held("office_floor_area", "96.880000", "m2")) == "96.88 平方米"
    assert shown.render(v=held("revenue", "34855573.45", "yuan")) == "34,855,573.45 元"
    assert shown.render(v=held("energy_consumption", "0.350000", "tce")) == "0.35 吨标准煤"
    assert shown.render(v=held("employees", 11, "persons")) == "11 人"
    assert (
        shown.render(v=held("name", "上海新程建设工程有限公司", "")) == "上海新程建设工程有限公司"
    )


def test_a_held_decimal_reads_without_its_scale_in_a_checklist_and_the_corrections_queue() -> None:
    """Regression (qa4): the steward's corrections queue read "现有值：96.880000 平方米"."""
    held = environment("zh-CN").filters["held"]
    assert held("96.880000", {"field": "office_floor_area"}) == "96.88"
    assert held("100.5", {"field": "office_floor_area"}) == "100.5"
    assert held("0.350000", {"field": "energy_consumption"}) == "0.35"
