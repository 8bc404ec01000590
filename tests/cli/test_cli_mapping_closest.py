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
    # The import reads 纳税总额（万元） with the tax mapping, in 万元 (unit_variants): it is
    # not said to be written otherwise (it was, before such a header imported); the header
    # it has no column for is said to be missing.
    assert "another unit or spelling" not in comments
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


def test_a_file_under_a_declared_unit_is_said_to_be_read_by_tax_as_it_is(tmp_path: Path) -> None:
    """Regression (QA): a sheet with "单位：万元" above 营业收入 and 研发费用 drafted a
    mapping of its own ("It writes 营业收入, 研发费用 with another unit") and the import
    found no mapping; the built-in tax reads it, in 万元, and the draft says so."""
    text = _draft(
        tmp_path, "单位：万元\n统一社会信用代码,年度,营业收入,研发费用", f"{CODE},2025,1.5,2\n"
    )
    assert "# It has every column: 'huiqi import FILE --mapping tax' reads the file" in text
    assert "another unit or spelling" not in text
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    code, out = run(data, "import", str(tmp_path / "office.csv"), token=steward)
    assert code == 0 and "Imported office.csv with mapping 'tax'" in out, out
    assert "Rows: 1 read, 1 accepted, 0 rejected" in out
    said = " ".join(out.split())
    assert "their header names none): 营业收入 (万元, line 1), 研发费用 (万元, line 1)." in said


def test_a_file_whose_amounts_name_no_unit_is_refused_saying_what_to_write(
    tmp_path: Path,
) -> None:
    """With no unit anywhere the import exits 1 and stores nothing, naming the mapping the
    headers are but for their units, and the draft's comment says the column is read in
    yuan unless its unit is listed: 元 and 万元 are 10,000 times apart."""
    text = _draft(tmp_path, "统一社会信用代码,年度,营业收入,研发费用", f"{CODE},2025,1.5,2\n")
    assert "its header names no unit, nor does the sheet: read in yuan unless you list it" in text
    assert "under units: as revenue: wan_yuan (or yi_yuan)" in text
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    code, out = run(data, "import", str(tmp_path / "office.csv"), token=steward)
    said = " ".join(out.split())
    assert code == 1, out
    assert "are those of mapping 'tax' but for their units: the money columns" in said
    assert "['营业收入', '研发费用'] name no unit" in said
    assert "put a line such as '单位：元' or '单位：万元' above the header" in said
    assert not (data / "snapshots").exists() or not any((data / "snapshots").iterdir())
