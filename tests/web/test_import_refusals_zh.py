"""The steward's import page in Chinese (QA, qa4): a row refused for a value outside its
field's plausible range read "'-4' is below the minimum 0 (plausible range of
insured_employees: 0..5000000 persons)" in the report's table, and a file whose header
fits no mapping said its first words in Chinese and the rest ("name one in the form's
Mapping field …") in English. Both read in Chinese now, and as written in English."""

from __future__ import annotations

import re

import pytest
from portal_data import Portal, page_token, sign_in
from test_console_imports import upload

from huiqi.web.i18n import translations
from huiqi.web.refusals import localise

HEADER = "统一社会信用代码,年度,年末参保人数\n"


def test_a_value_out_of_range_and_a_header_of_no_mapping_read_in_chinese(portal: Portal) -> None:
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    good, other = portal.usccs[0], portal.usccs[1]
    rows = f"{HEADER}{good},2025,12\n{other},2025,-4\n{other},2024,9000000\n"
    status, ref = upload(client, token, "参保.csv", rows.encode(), mapping="social_insurance")
    assert status == 303, ref
    text = client.get(f"/console/imports/{ref}").text
    rejects = re.findall(r'<tr class="reject">(.*?)</tr>', text, re.S)
    assert len(rejects) == 2, text
    assert "&#39;-4&#39; 低于下限 0（insured_employees 的合理范围：0–5000000 人）" in rejects[0]
    assert "&#39;9000000&#39; 高于上限 5000000（insured_employees 的合理范围：" in rejects[1]
    assert "plausible" not in text and "minimum" not in text

    status, page = upload(client, token, "x.csv", "编号,名称\n1,甲\n".encode())
    assert status == 400
    error = re.search(r'<p class="error" role="alert" id="file-error">(.*?)</p>', page, re.S)
    assert error, page
    said = error.group(1)
    assert "x.csv：表头" in said and "请在表单的“映射”栏中选定一个" in said, said
    assert "或请管理员在数据目录的映射中为此格式添加一个映射" in said and "name one" not in said, (
        said
    )
    assert "huiqi mapping new" not in said  # a page names no command (web.cli_texts)
    # A header close to a mapping's: the closest one, and the headers it does not have.
    close = f"{HEADER.strip()},奇怪列\n{good},2025,3,1\n"
    status, page = upload(client, token, "y.csv", close.encode())
    assert status == 400
    said = re.search(r'id="file-error">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "最接近的是 &#39;social_insurance&#39;（符合 4 个表头中的 3 个）" in said, said
    assert "表头 [&#39;奇怪列&#39;] 不在映射 &#39;social_insurance&#39; 中" in said, said
    assert "closest" not in said and "are not in" not in said, said


def test_the_range_refusals_read_as_written_in_english() -> None:
    en = translations("en")
    for text in (
        "'-4' is below the minimum 0 (plausible range of insured_employees: 0..5000000 persons)",
        "'12' is above the maximum 10 (plausible range of x: *..10)",
        "'1e20' is above the maximum 100000000000000 (plausible range of revenue:"
        " 0..100000000000000 yuan); check the unit (yuan or 10,000 yuan) and the column",
    ):
        assert localise(en, text) == text
    zh = localise(
        translations("zh-CN"), "'12' is above the maximum 10 (plausible range of x: *..10)"
    )
    assert zh == "'12' 高于上限 10（x 的合理范围：*–10）"


U = "91310115MA1H8R7C41"
# Files the importer refuses whole, as offices write them (QA, session 41: each of these
# read in English on the Chinese page, several naming 'huiqi mapping new' or --mapping).
REFUSED = {
    "not-in-mapping": (f"统一社会信用代码,年度,营业外收入(元)\n{U},2024,1\n", "tax", "不在映射"),
    "units-disagree": (
        f"单位：元\n统一社会信用代码,年度,营业收入（万元）\n{U},2024,1\n",
        "",
        "表格声明金额单位为 元 (yuan)，但表头",
    ),
    "unit-not-read": (
        f"单位：千元\n统一社会信用代码,年度,营业收入\n{U},2024,1\n",
        "",
        "huiqi 不读取以此单位填写的金额",
    ),
    "declared-vs-header": (
        f"单位：万元\n统一社会信用代码,年度,营业收入(元)\n{U},2024,1\n",
        "",
        "请更正表头或所声明的单位",
    ),
    "unit-less": (f"统一社会信用代码,年度,营业收入\n{U},2024,1\n", "", "未写明单位"),
    "missing-required": (f"统一社会信用代码,营业收入(元)\n{U},1\n", "tax", "必需的表头"),
    "one-field-twice": (
        f"统一社会信用代码,年度,营业收入(元),营业收入(元)\n{U},2024,1,2\n",
        "",
        "第 3 列（C）&#39;营业收入(元)&#39; 与第 4 列（D）",
    ),
    "several-mappings": (f"统一社会信用代码,年度\n{U},2024\n", "", "符合多个映射"),
}
ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_file_refused_whole_reads_in_chinese_and_names_no_command(
    portal: Portal, case: str
) -> None:
    content, mapping, says = REFUSED[case]
    fields = {"mapping": mapping} if mapping else {}
    for lang in ("zh", "en"):
        client = sign_in(portal.client(), "steward")
        client.get(f"/lang/{lang}")
        token = page_token(client, "/console/imports")
        status, page = upload(client, token, "t.csv", content.encode(), **fields)
        assert status == 400, page
        error = re.search(r'id="file-error">(.*?)</p>', page, re.S)
        assert error, page
        said = error.group(1)
        assert "huiqi mapping" not in said and "--" not in said, said
        if lang == "zh":
            assert says in said, said
            assert not ENGLISH_WORDS.search(said), said


def test_a_sheet_named_for_a_csv_file_reads_in_chinese(portal: Portal) -> None:
    """QA (qa5): a CSV uploaded with a sheet named read "no sheet '数据表' with data;
    sheets with data: []", as if the file were an empty workbook."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    rows = f"{HEADER}{portal.usccs[0]},2025,12\n"
    status, page = upload(client, token, "参保.csv", rows.encode(), sheet="数据表")
    assert status == 400
    said = re.search(r'id="file-error">(.*?)</p>', page, re.S)
    assert said, page
    assert "&#39;参保.csv&#39; 不是工作簿" in said.group(1), said.group(1)
    assert 'value="数据表"' in page  # the form keeps what was typed


def test_a_wide_sheets_column_without_a_year_is_refused_in_chinese(portal: Portal) -> None:
    """A wide sheet's column with no year (纳税信用等级 beside 2023's and 2024's revenue)
    is refused, naming it, in the page's language (it was copied into every year)."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    body = (
        "统一社会信用代码,2023年营业收入(元),2024年营业收入(元),纳税信用等级\n"
        f"{portal.usccs[0]},1,2,A\n"
    )
    status, page = upload(client, token, "宽表.csv", body.encode())
    assert status == 400
    said = re.search(r'id="file-error">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "宽表.csv：宽表（每年一组列：2023, 2024）中的列 &#39;纳税信用等级&#39;" in said, said
    assert "&#39;2024年纳税信用等级&#39;" in said and "name no year" not in said, said


def test_two_columns_of_one_field_and_year_are_refused_in_chinese(portal: Portal) -> None:
    """qa6: a wide sheet with two columns for the same field and year was refused in
    English on the Chinese page ("… both give …")."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    body = (
        "统一社会信用代码,2023年营业收入(元),2024年营业收入(元),营业收入(元)(2024年)\n"
        f"{portal.usccs[0]},1,2,3\n"
    )
    status, page = upload(client, token, "宽表.csv", body.encode())
    assert status == 400
    said = re.search(r'id="file-error">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "都给出了 2024 年的" in said and "both give" not in said, said
    assert "&#39;营业收入(元)(2024年)&#39;" in said, said
