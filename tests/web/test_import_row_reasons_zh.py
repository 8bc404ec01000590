"""Why a row was refused, on the steward's Chinese import page (QA, qa5): files written
as offices write them (a bad date, an unknown code, a figure with an Excel error, a
repeated row, a row with a cell too many, a relation to the enterprise itself) were
imported through the portal, and their reasons read in English beside others that were
translated. Each reads in Chinese now, and as written in English."""

from __future__ import annotations

import html
import re

from portal_data import Portal, page_token, sign_in
from test_console_imports import upload

from huiqi.profiles.uscc import check_character
from huiqi.web.i18n import translations
from huiqi.web.refusals import localise

# Three English words in a row: a sentence left untranslated (codes, formats such as
# YYYY-MM-DD and a mapping's "values: {field: {...}}" are not).
ENGLISH = re.compile(r"[A-Za-z]+[ ,;:]+[a-z]+[ ,;:]+[a-z]+")


def _uscc(n: int) -> str:
    first = f"91310115MA1Q{n:04d}X"
    return first + check_character(first)


def _reasons(page: str) -> list[str]:
    rows = re.findall(r'<tr class="reject">(.*?)</tr>', page, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [html.unescape(c[-1]) for c in cells]


def _english(reason: str) -> bool:
    return bool(ENGLISH.search(re.sub(r"'[^']*'", "", reason)))


MARKET = "统一社会信用代码,企业名称,成立日期,注册区划代码,行业代码,登记注册类型,创业者年龄,是否首次创业\n"
TAX = "统一社会信用代码,年度,营业收入(元),纳税信用等级\n"
RELATIONS = "统一社会信用代码,关联方类型,关联方标识,关系类型,持股比例(%),起始日期\n"


def test_rejected_rows_read_in_chinese_on_the_import_page(portal: Portal) -> None:
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    u = [_uscc(i) for i in range(20)]
    market = (
        MARKET
        + "".join(
            f"{code},甲公司,{date},{district},{industry},{kind},{age},{first}\n"
            for code, date, district, industry, kind, age, first in (
                (u[0], "2023-13-05", "310115", "6513", "有限责任公司", "30", "是"),
                (u[1], "5/1/2023", "310115", "6513", "有限责任公司", "30", "是"),
                (u[2], "2023-01-05", "999999", "6513", "有限责任公司", "30", "是"),
                (u[3], "2023-01-05", "北京市朝阳区", "6513", "有限责任公司", "30", "是"),
                (u[4], "2023-01-05", "310115", "C6513", "有限责任公司", "30", "是"),
                (u[5], "2023-01-05", "310115", "9999", "有限责任公司", "30", "是"),
                (u[6], "2023-01-05", "310115", "6513", "火星公司", "30", "是"),
                (u[7], "2023-01-05", "310115", "6513", "有限责任公司", "30.5", "是"),
                (u[8], "2023-01-05", "310115", "6513", "有限责任公司", "30", "也许"),
                (u[9], "2099-01-05", "310115", "6513", "有限责任公司", "30", "是"),
                (u[10], "2023-01-05 13:45", "310115", "6513", "有限责任公司", "30", "是"),
                (u[11], "2023-01-05", "310115", "6513", "有限责任公司", "30", "是,多余"),
                (
                    "9.13100001234568E+17",
                    "2023-01-05",
                    "310115",
                    "6513",
                    "有限责任公司",
                    "30",
                    "是",
                ),
            )
        )
        + "注：以上为2025年新设企业,,,,,,,\n"
    )
    tax = TAX + "".join(
        f"{code},{year},{revenue},{rating}\n"
        for code, year, revenue, rating in (
            (u[12], "20x5", "100", "A"),
            (u[13], "2025", "(100)", "A"),
            (u[14], "2025", "#VALUE!", "A"),
            (u[15], "2025", "1.5E+6", "A"),
            (u[16], "2025", "100.123", "-"),
            (u[17], "2025", "100", "A"),
            (u[17], "2025", "200", "A"),
            (u[18], "2025", "100", "A"),
            (u[18], "2025", "100", "A"),
        )
    )
    relations = RELATIONS + (
        f"{u[0]},外星人,{u[1]},股东,60,2019-05-20\n"
        f"{u[2]},企业,{u[2]},股东,40,2019-05-20\n"
        f"{u[3]},企业,{u[4]},朋友,40,2019-05-20\n"
        f"{u[5]},企业,{u[6]},股东,,2019-05-20\n"
        f"{u[7]},企业,{u[8]},股东,140,2019-05-20\n"
    )
    seen: list[str] = []
    for name, content, mapping, rejected in (
        ("市场主体.csv", market, "market", 14),
        ("纳税.csv", tax, "tax", 9),  # 100.123 and - on one row
        ("关联方.csv", relations, "relations", 5),
    ):
        status, ref = upload(client, token, name, content.encode("gbk"), mapping=mapping)
        assert status == 303, ref
        reasons = _reasons(client.get(f"/console/imports/{ref}").text)
        assert len(reasons) == rejected, reasons
        left = [r for r in reasons if _english(r)]
        assert not left, left
        seen += reasons
    # What the steward reads, each in its words.
    for said in (
        "&#39;2023-13-05&#39; 不是日历上存在的日期",
        "以日或月开头，有歧义",
        "不是允许的值；请填写代码或其中文名称：310101 (黄浦区)",
        "是北京市的地名，不是上海市的区",
        "小类 6513 属于门类 I，不是 C",
        "该行有 9 个单元格，而表头有 8 列",
        "主键重复：第 7, 8 行的统一社会信用代码和年度相同",
        "与第 9 行完全相同（统一社会信用代码和年度及各项数值相同）",
        "企业不能是自己的关联方",
        "&#39;注：以上为2025年新设企业&#39; 是表格下方的注释，不是企业的数据",
        "股东须填写持股比例",
        "（share_pct 的合理范围：0.0001–100 %）",
    ):
        assert any(html.unescape(said) in r for r in seen), (said, seen)


def test_the_row_reasons_read_as_written_in_english() -> None:
    en, zh = translations("en"), translations("zh-CN")
    for text in (
        "'2023-13-05' is not a real calendar date",
        "repeats line 11 exactly (the same uscc and year and values); line 11 is kept once",
        "duplicate key: lines 16, 17 have the same uscc; rows sharing a key are all rejected,"
        " keep one and import again",
        "'其他' is not an allowed value; use a code or its Chinese name: male (男), female (女);"
        " or, where the registry writes it its own way, say which code it means in the"
        " mapping: values: {founder_gender: {其他: <code>}}",
        # A 12345-hotline export's total row and signature (huiqi.desk.hotline).
        "'合计' starts a total row, not a request: delete the row (totals are not imported;"
        " the other rows are)",
        "'制表人：张三' is a note below the table, not a request: delete the row (notes are not"
        " imported; the other rows are)",
    ):
        assert localise(en, text) == text
        assert localise(zh, text) != text
    # A key the catalogue does not name is shown as written, in a Chinese sentence.
    other = "duplicate key: lines 2, 3 have the same uscc and permit; rows sharing a key are"
    said = localise(zh, other + " all rejected, keep one and import again")
    assert said.startswith("主键重复：第 2, 3 行的uscc and permit相同"), said
