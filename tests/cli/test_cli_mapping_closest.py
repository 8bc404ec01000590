"""``huiqi mapping new`` says which built-in mapping the file is closest to, with the
headers that make it so, or that none is; a column's comment names that mapping, never
one picked at random. Before, every USCC column's comment named 'ai_platform' (the first
built-in mapping holding the header), whatever the file was."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, run

from huiqi.profiles.mapping_closest import NONE_CLOSE
from huiqi.profiles.uscc import make

CODE = make("91310115MA0000011")


def _draft(tmp_path: Path, header: str, rows: str = "") -> str:
    path = tmp_path / "office.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    out = tmp_path / "office.yaml"
    code, said = run(tmp_path / "data", "mapping", "new", str(path), "--out", str(out))
    assert code == 0, said
    return out.read_text("utf-8")


def test_a_tax_like_file_is_said_closest_to_the_tax_mapping(tmp_path: Path) -> None:
    text = _draft(tmp_path, "统一社会信用代码,年度,纳税总额（万元）,研发费用加计扣除额")
    comments = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert (
        "Closest built-in mapping: 'tax' (yearly, registry tax); not counting a USCC or name"
        " column, it shares 2 of this file's headers: 年度, 纳税总额（万元）." in comments
    )
    # 万元 is not the tax mapping's 元: the column is said to be written otherwise, and
    # the header it has no column for, to be missing.
    assert "It writes 纳税总额（万元） with another unit or spelling than here." in comments
    assert "It has no column headed 研发费用加计扣除额. Hence this draft." in comments
    uscc_line = next(line for line in text.splitlines() if line.startswith('  "统一社会信用代码"'))
    assert "'tax'" in uscc_line and "ai_platform" not in uscc_line


def test_a_file_the_closest_mapping_reads_as_it_is_says_so_and_it_does(tmp_path: Path) -> None:
    header = "统一社会信用代码,年度,营业收入(元),纳税总额(元)"
    text = _draft(tmp_path, header, f"{CODE},2025,1000,50\n")
    assert "# It has every column: 'huiqi import FILE --mapping tax' reads the file" in text
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    code, out = run(data, "import", str(tmp_path / "office.csv"), "--mapping", "tax", token=steward)
    assert code == 0 and "Rows: 1 read, 1 accepted, 0 rejected" in out, out


def test_a_file_no_built_in_mapping_resembles_says_none_is_close(tmp_path: Path) -> None:
    text = _draft(tmp_path, "统一社会信用代码,咖啡消费")
    assert "\n".join(NONE_CLOSE) in text
    uscc_line = next(line for line in text.splitlines() if line.startswith('  "统一社会信用代码"'))
    assert uscc_line.endswith("# matched a header every built-in mapping has")


def test_a_column_headed_enterprise_code_is_drafted_as_the_uscc(tmp_path: Path) -> None:
    """Regression (QA): 企业代码 was left unmatched, with size_class_reported suggested."""
    text = _draft(tmp_path, "企业代码,企业名称,营业收入(元),年度")
    assert '"企业代码": uscc' in text, text
