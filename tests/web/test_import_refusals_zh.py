"""The steward's import page in Chinese (QA, qa4): a row refused for a value outside its
field's plausible range read "'-4' is below the minimum 0 (plausible range of
insured_employees: 0..5000000 persons)" in the report's table, and a file whose header
fits no mapping said its first words in Chinese and the rest ("name one in the form's
Mapping field …") in English. Both read in Chinese now, and as written in English."""

from __future__ import annotations

import re

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
