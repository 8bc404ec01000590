"""A wide yearly sheet (a column group per year) through the CLI: the tax mapping reads it
as it is, and one whose headers no mapping knows is drafted as a yearly layout of its
headers without their years ('huiqi mapping new' drafted a static layout that could not
hold a year's figures)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from cliutil import accounts, run

from huiqi.profiles.uscc import make

A = make("91310115MA0000011")


def test_a_wide_tax_sheet_imports_as_one_row_per_year(tmp_path: Path) -> None:
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    path = tmp_path / "wide.csv"
    path.write_text(
        f"统一社会信用代码,企业名称,2023年营业收入(元),2024年营业收入(元)\n{A},甲,100.25,abc\n",
        encoding="utf-8",
    )
    code, out = run(data, "import", str(path), token=steward)
    said = " ".join(out.split())
    assert code == 4, out  # rows were rejected
    # Every count is of enterprise-years (it said "1 read, 1 accepted, 1 rejected").
    assert "Rows: 2 read, 1 accepted, 1 rejected" in said
    assert "Read as a wide sheet with years [2023, 2024]: its 1 line(s) give" in said
    assert "wide.csv, line 2, column '2024年营业收入(元)' (field 'revenue')" in said


def test_a_wide_sheet_of_unknown_headers_is_drafted_yearly_and_imported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    path = tmp_path / "district.csv"
    path.write_text(
        f"统一社会信用代码,2023年主营收入(元),2024年主营收入(元)\n{A},1,2\n", encoding="utf-8"
    )
    draft = data / "mappings" / "district.yaml"
    code, out = run(data, "mapping", "new", str(path), "--out", str(draft))
    said = " ".join(out.split())
    assert code == 0, out
    assert "mapping 'district' (yearly," in said
    assert "drafted from its headers without their years and a year column '年度'" in said
    text = draft.read_text("utf-8")
    assert '"年度": year' in text and '"主营收入(元)": null' in text
    draft.write_text(
        text.replace('"主营收入(元)": null', '"主营收入(元)": main_business_revenue').replace(
            "registry: null", "registry: tax"
        ),
        encoding="utf-8",
    )
    code, out = run(data, "import", str(path), token=steward)
    assert code == 0 and "with mapping 'district'" in out, out
    with duckdb.connect(str(data / "profiles.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT year, main_business_revenue FROM enterprise_years ORDER BY year"
        ).fetchall()
    assert [(y, str(v)) for y, v in stored] == [(2023, "1.00"), (2024, "2.00")]
