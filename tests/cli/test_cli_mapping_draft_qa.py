"""``huiqi mapping new`` on files an outside QA pass drafted from (regressions)."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from cliutil import run

from huiqi.profiles.uscc import make

CODE = make("91310115MA0000011")


def _draft(tmp_path: Path, rows: list[list[str]]) -> tuple[str, str]:
    path = tmp_path / "office.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = tmp_path / "office.yaml"
    code, said = run(tmp_path / "data", "mapping", "new", str(path), "--out", str(out))
    assert code == 0, said
    return out.read_text("utf-8"), said


def test_a_column_headed_qiye_leixing_feeds_the_registration_type(tmp_path: Path) -> None:
    """企业类型, as the business registry's exports head the 登记注册类型, was left null."""
    text, said = _draft(
        tmp_path, [["统一社会信用代码", "企业名称", "企业类型"], [CODE, "某公司", "有限责任公司"]]
    )
    assert '"企业类型": registration_type  # matched a common header' in text
    assert "3 of 3 columns matched" in said


def test_a_yearly_file_in_thousands_of_yuan_under_a_unit_row_is_drafted_yearly(
    tmp_path: Path,
) -> None:
    """A tax file with its units (千元) on a row under the header was drafted from the
    header and unit rows read as one two-row header: a static market layout with a
    column named 千元. Read from its own header, its 千元 columns were drafted in 元."""
    text, said = _draft(
        tmp_path,
        [
            ["统一社会信用代码", "纳税人名称", "营业收入", "研发费用"],
            ["", "", "千元", "千元"],
            [CODE, "某公司", "1000", "200"],
        ],
    )
    drafted = yaml.safe_load(text)
    assert (drafted["layout"], drafted["registry"]) == ("yearly", "tax")
    assert drafted["columns"] == {"统一社会信用代码": "uscc", "营业收入": None, "研发费用": None}
    assert "but in 千元" in text and "千元" not in drafted["columns"]
    assert "mapping 'office' (yearly, registry tax)" in said


def test_a_yearly_file_with_only_thousand_yuan_amounts_names_its_registry(tmp_path: Path) -> None:
    """Its amounts left for a person (千元), the draft named the fallback 'market' as the
    registry of a tax bureau's file."""
    text, _ = _draft(
        tmp_path, [["统一社会信用代码", "年度", "营业收入（千元）", "研发费用（千元）"]]
    )
    drafted = yaml.safe_load(text)
    assert (drafted["layout"], drafted["registry"]) == ("yearly", "tax")


def test_the_header_comment_never_says_a_header_is_both_had_and_not(tmp_path: Path) -> None:
    """The comment said the tax mapping has 营业收入（千元）, then that its headers do not
    include 营业收入（千元）."""
    text, _ = _draft(tmp_path, [["统一社会信用代码", "年度", "营业收入（千元）", "经办人"]])
    comments = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert "it shares 2 of this file's headers" in comments
    assert "It writes 营业收入（千元） with another unit or spelling than here." in comments
    assert "It has no column headed 经办人. Hence this draft." in comments
    assert "do not include" not in comments


def test_a_draft_of_an_unknown_layout_asks_for_its_registry(tmp_path: Path) -> None:
    """Regression: with no built-in layout close and no field matched, the draft said
    'registry: market' (the business registry's) and 'mapping check' passed it."""
    text, said = _draft(tmp_path, [["统一社会信用代码", "奇怪列A"], [CODE, "1"]])
    assert yaml.safe_load(text)["registry"] is None
    assert "(static, registry not known): 1 of 2 columns matched" in said
    assert "write its registry (marked null)" in said
    code, out = run(tmp_path / "data", "mapping", "check", str(tmp_path / "office.yaml"))
    assert code == 4, out
    assert "line 8, column 11: 'registry' has no value yet: write the registry" in out
    assert "header '奇怪列A' has no field yet" in out


OFFICE_HEADER = [
    "序号",
    "企业统一社会信用代码",
    "企业全称",
    "统计年份",
    "研发经费支出（万元）",
    "研发人员数（人）",
]


def test_a_data_row_is_never_drafted_as_the_header(tmp_path: Path) -> None:
    """A district office's file whose own headers the dictionary does not know: its second
    data row, holding a USCC and '2025年', was taken for the header ("the header is on line
    3") and drafted as a wide sheet with columns named '2', the enterprise's code and its
    name, since '2025年' reads as a year-headed column and the real header matched none."""
    other = make("91310112MA0000021")
    text, said = _draft(
        tmp_path,
        [
            OFFICE_HEADER,
            ["1", CODE, "甲公司", "2025", "120.5", "12"],
            ["2", other, "乙公司", "2025年", "1,234.56", "30"],
        ],
    )
    drafted = yaml.safe_load(text)
    assert list(drafted["columns"]) == [h for h in OFFICE_HEADER if h != "序号"]
    assert CODE not in text and other not in text
    assert "the header is on line" not in said


def test_an_offices_own_words_for_the_code_and_the_year_are_matched(tmp_path: Path) -> None:
    """'企业统一社会信用代码' and '统计年份', as offices head the key columns, were left null."""
    text, _ = _draft(tmp_path, [OFFICE_HEADER, ["1", CODE, "甲公司", "2025", "120.5", "12"]])
    drafted = yaml.safe_load(text)
    assert drafted["columns"]["企业统一社会信用代码"] == "uscc"
    assert drafted["columns"]["统计年份"] == "year"
    assert drafted["layout"] == "yearly"


def test_a_name_or_yes_no_column_under_a_unit_line_is_not_told_its_amount_unit(
    tmp_path: Path,
) -> None:
    """Under '单位：万元', the unmatched columns 企业名 and 是否列入失信名单 were told "if it is
    an amount, it is in wan_yuan: list its field under units:", though the fields they
    resemble (name, credit_dishonest) are no amounts; a column like no field keeps it."""
    text, _ = _draft(
        tmp_path,
        [
            ["2025年技术改造投资情况表"],
            ["填报单位：区经委", "", "单位：万元"],
            ["信用代码", "企业名", "年份", "技改投资额", "是否列入失信名单"],
            [CODE, "甲公司", "2025", "2500", "否"],
        ],
    )
    lines = {line.split(":")[0].strip().strip('"'): line for line in text.splitlines()}
    assert "wan_yuan" not in lines["企业名"]
    assert "wan_yuan" not in lines["是否列入失信名单"]
    assert "perhaps credit_dishonest" in lines["是否列入失信名单"]
    assert "it is in wan_yuan" in lines["技改投资额"]


def test_a_title_or_a_unit_line_is_not_drafted_over_a_header_of_unknown_words(
    tmp_path: Path,
) -> None:
    """Under a title '2025年某区企业研发情况统计表' and a line '填报单位：区科委 … 单位：万元',
    a header none of whose words a field knows (主体代码, 期间, 研发支出) lost to the title:
    its '2025年' read as a year-headed column, so the draft had one column named
    '某区企业研发情况统计表' and a year. The header is the row with the most matches, then
    the most filled cells; a row of one cell is no header."""
    text, said = _draft(
        tmp_path,
        [
            ["2025年某区企业研发情况统计表"],
            ["填报单位：区科委", "", "单位：万元"],
            ["主体代码", "期间", "研发支出"],
            [CODE, "2025", "98"],
        ],
    )
    drafted = yaml.safe_load(text)
    assert list(drafted["columns"]) == ["主体代码", "期间", "研发支出"]
    assert "the header is on line 3" in said
