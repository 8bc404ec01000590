"""The amount formula on a policy page reads in the page's language: fields by their
dictionary labels, rates as exact percentages, year offsets in words."""

from __future__ import annotations

import pytest
from portal_data import AUTO, Portal, sign_in

from huiqi.web.formula import readable
from huiqi.web.i18n import translations


@pytest.mark.parametrize(
    ("formula", "language", "reads"),
    [
        ("0.5 * rent_paid[-1]", "zh-CN", "50% × 经营场所租金（上一年度）"),
        ("0.5 * rent_paid[-1]", "en", "50% × Rent paid for premises (the year before)"),
        ("rd_expense[-2] * 0.125", "zh-CN", "研发费用（2 年前） × 12.5%"),
        ("0.1 * (rd_expense - rd_expense[-1])", "zh-CN", "10% × (研发费用 - 研发费用（上一年度）)"),
        ("1500 * graduate_hires / 2", "en", "1500 × New graduates hired ÷ 2"),
        (
            "CASE WHEN rd_staff >= 10 THEN 5000 ELSE 2000 END",
            "zh-CN",
            "若 研发人员 ≥ 10 则为 5000 否则为 2000",
        ),
        (
            "CASE WHEN size_class = 'large' THEN 0.3 * ui_premiums_paid ELSE 0 END",
            "zh-CN",
            "若 企业规模 = 大型 则为 30% × 实缴失业保险费 否则为 0",
        ),  # a code by its name, not 'large' on a Chinese page
        (
            "CASE WHEN size_class = 'large' THEN 1 ELSE 2 END",
            "en",
            "if Size class = Large then 1 otherwise 2",
        ),
        (
            "CASE WHEN name = 'large' THEN 1 ELSE 2 END",
            "zh-CN",
            "若 企业名称 = 'large' 则为 1 否则为 2",
        ),
        ("0.000001 * revenue", "en", "0.0001% × Revenue"),
        # The rule language's own names in words (they read as_of, INTERVAL, LEAST …).
        (
            "CASE WHEN holds(high_tech, as_of - INTERVAL 1 YEAR) THEN 100000 ELSE 250000 END",
            "zh-CN",
            "若 持有资质(高新技术企业, 评估日 - 1 年) 则为 100000 否则为 250000",
        ),
        (
            "CASE WHEN founder_graduation_year >= data_year - 5 THEN 5000 ELSE 2000 END",
            "zh-CN",
            "若 创业者毕业年份 ≥ 数据年度 - 5 则为 5000 否则为 2000",
        ),
        ("LEAST(insured_employees, 8) * 12", "zh-CN", "取较小值(年末参保人数, 8) × 12"),
        (
            "0.3 * unrelated_contract_total(DATE '2025-01-01', DATE '2025-12-31', 'corpus')",
            "zh-CN",
            "30% × 与非关联方的合同金额合计('2025-01-01', '2025-12-31', 语料采购)",
        ),
        # An amount with decimals is yuan, not a rate (it read "12 × 96980%").
        (
            "LEAST(insured_employees, 8) * 12 * 969.80",
            "en",
            "the smaller of(Insured employees (December), 8) × 12 × 969.80",
        ),
        ("100000.50", "zh-CN", "100000.50"),  # an amount, not a rate: as written
        ("0.5 * rent_paid; x", "zh-CN", "0.5 * rent_paid; x"),  # not the rule language
    ],
)
def test_a_formula_reads_in_words_with_its_exact_numbers(
    formula: str, language: str, reads: str
) -> None:
    assert readable(formula, translations(language), language) == reads


def test_the_policy_page_shows_the_formula_in_words(portal: Portal) -> None:
    """Regression: the page showed the formula raw (``insured_employees * 1000``)."""
    client = sign_in(portal.client(), "ent4")
    page = client.get(f"/policies/{AUTO}").text
    assert '<p class="formula">年末参保人数 × 1000</p>' in page
    assert "insured_employees * 1000" not in page
    client.get("/lang/en")
    page = client.get(f"/policies/{AUTO}").text
    assert "× 1000</p>" in page and "insured_employees" not in page
