"""A registry layout huiqi does not know, imported through a drafted and confirmed mapping."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
from cliutil import accounts, run

from huiqi.profiles.uscc import make

LAYOUT = "序号,纳税人识别号,所属年度,营业收入（万元）,研发费用,经办人,备注\n"


def registry_file(tmp_path: Path) -> tuple[Path, list[str]]:
    a, b = make("91310115MA0000011"), make("91310104MA0000022")
    path = tmp_path / "district-tax-2025.csv"
    rows = f"1,{a},2025,123.4567,50000,王,\n2,{b.lower()},2025,8,0,李,新设\n"
    path.write_bytes((LAYOUT + rows).encode("gbk"))
    return path, [a, b]


def test_unknown_layout_imports_through_a_drafted_and_confirmed_mapping(tmp_path: Path) -> None:
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    path, (a, b) = registry_file(tmp_path)
    code, out = run(data, "import", str(path), token=steward)
    assert code == 1 and "no mapping matches the headers" in out, out

    draft = tmp_path / "district-tax.yaml"
    code, out = run(data, "mapping", "new", str(path), "--out", str(draft))
    assert code == 0, out
    # Row numbers and remarks are skipped by every mapping; the clerk's name is a question.
    assert "4 of 5 columns matched; confirm ['经办人'] (marked null)" in out
    text = draft.read_text("utf-8")
    assert '"营业收入（万元）": revenue' in text and "revenue: wan_yuan" in text
    assert text.endswith("\n")  # regression (QA): the draft had no last newline
    code, shown = run(data, "mapping", "new", str(path))
    assert code == 0 and '"备注"]\nmapping ' in shown  # not run onto the last line
    assert 'ignore: ["序号", "备注"]' in text
    code, out = run(data, "import", str(path), "--mapping", str(draft), token=steward)
    assert code == 1 and "header '经办人' has no field yet" in out, out  # unconfirmed: refused
    code, out = run(data, "mapping", "check", str(draft))
    assert code == 4 and f"{draft}, line " in out, out

    # The data steward confirms: the clerk (经办人) is not imported.
    confirmed = "\n".join(line for line in text.splitlines() if not line.startswith('  "经办人"'))
    confirmed = confirmed.replace('ignore: ["序号", "备注"]', 'ignore: ["序号", "备注", 经办人]')
    confirmed += "\n"
    draft.write_text(confirmed, encoding="utf-8")
    code, out = run(data, "mapping", "check", str(draft))
    assert code == 0 and "1 mapping file checked: 0 with errors" in out, out

    code, out = run(data, "import", str(path), "--mapping", str(draft), token=steward)
    assert code == 0, out
    assert "Rows: 2 read, 2 accepted, 0 rejected" in out
    assert "Upper-cased 1 USCC(s) written in lower case (line 3)" in out
    with duckdb.connect(str(data / "profiles.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT uscc, revenue, rd_expense FROM enterprise_years ORDER BY uscc"
        ).fetchall()
    assert [(u, str(r), str(e)) for u, r, e in stored] == [
        (b, "80000.00", "0.00"),
        (a, "1234567.00", "50000.00"),
    ]

    # Kept in the data directory's mappings/, the layout is found from the header alone.
    (data / "mappings").mkdir(exist_ok=True)  # the first import made it
    (data / "mappings" / "district-tax.yaml").write_text(confirmed, encoding="utf-8")
    code, out = run(data, "import", str(path), token=steward)
    assert code == 0 and "with mapping 'district-tax-2025'" in out, out


def test_import_help_documents_mapping_files() -> None:
    code, out = run(Path("."), "import", "--help")
    assert code == 0
    words = " ".join(out.split())
    assert "--mapping path/to/file.yaml" in words and "DATA_DIR/mappings/" in words
    assert "--sheet" in words and "huiqi mapping new FILE" in words


def test_a_sheet_with_a_title_is_drafted_into_the_data_directory_and_imported(
    tmp_path: Path,
) -> None:
    """The README's path for a layout from outside, with the title and unit lines offices
    put above the header. Regression: ``mapping new --out DATA_DIR/mappings/x.yaml``
    ended in a traceback when that folder did not exist yet."""
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    a = make("91310115MA0000011")
    path = tmp_path / "district-2025.csv"
    path.write_text(
        f"2025年度企业营收情况\n单位：万元\n纳税人识别号,所属年度,营业收入\n{a},2025,1.5\n",
        encoding="utf-8",
    )
    code, out = run(data, "mapping", "new", str(path), "--out", str(data / "mappings" / "d.yaml"))
    assert code == 0, out
    assert "3 of 3 columns matched; the header is on line 3" in " ".join(out.split())
    assert "revenue: wan_yuan" in (data / "mappings" / "d.yaml").read_text("utf-8")
    code, out = run(data, "import", str(path), token=steward)
    assert code == 0 and "The header is on line 3" in out, out
    with duckdb.connect(str(data / "profiles.duckdb"), read_only=True) as con:
        assert con.execute("SELECT uscc, revenue FROM enterprise_years").fetchall() == [
            (a, Decimal("15000.00"))
        ]


def test_a_file_that_cannot_be_written_is_one_clear_line(tmp_path: Path) -> None:
    path, _ = registry_file(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    code, out = run(
        tmp_path / "data", "mapping", "new", str(path), "--out", str(blocker / "x.yaml")
    )
    assert code == 1 and out.startswith(f"error: {blocker}"), out
    assert "Traceback" not in out


def test_a_utf16_export_is_drafted_and_imported(tmp_path: Path) -> None:
    """Excel's "Unicode Text": UTF-16, tab-separated; drafted and imported like any CSV."""
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    a = make("91310115MA0000011")
    path = tmp_path / "unicode-text.txt"
    path.write_bytes(f"纳税人识别号\t所属年度\t营业收入\r\n{a}\t2025\t12.5\r\n".encode("utf-16"))
    draft = data / "mappings" / "u.yaml"
    code, out = run(data, "mapping", "new", str(path), "--out", str(draft))
    assert code == 0 and "3 of 3 columns matched" in out, out
    code, out = run(data, "import", str(path), token=steward)
    assert code == 0 and "(csv, utf-16)" in out, out


def test_a_workbook_with_its_data_on_a_second_sheet_is_drafted_from_that_sheet(
    tmp_path: Path,
) -> None:
    """Offices' workbooks open with a notes sheet; 'mapping new' drafted from the first
    sheet (one null column, the note), while the import reads the sheet whose header
    fits: the draft could never import that workbook."""
    import openpyxl

    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    a = make("91310115MA0000011")
    path = tmp_path / "registry.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由区市场监管局导出"])
    sheet = wb.create_sheet("企业名录")
    sheet.merge_cells("A1:C1")
    sheet["A1"] = "2025年企业登记信息"
    sheet.append(["单位：万元"])
    sheet.append(["统一社会信用代码", "企业名称", "注册资本（万元）"])
    sheet.append([a, "上海甲有限公司", 100.5])
    wb.save(path)
    draft = tmp_path / "registry.yaml"

    code, out = run(data, "mapping", "new", str(path), "--out", str(draft))

    assert code == 0, out
    assert "3 of 3 columns matched; from sheet '企业名录'; the header is on line 3" in " ".join(
        out.split()
    )
    code, out = run(data, "import", str(path), "--mapping", str(draft), token=steward)
    assert code == 0, out
    with duckdb.connect(str(data / "profiles.duckdb"), read_only=True) as con:
        assert con.execute("SELECT uscc, registered_capital FROM enterprises").fetchall() == [
            (a, Decimal("1005000.00"))
        ]


def test_the_data_directory_has_its_mappings_folder_for_the_readmes_cp(tmp_path: Path) -> None:
    """README: 'cp district-tax.yaml $HUIQI_DATA_DIR/mappings/' failed with "Not a
    directory" in a data directory made by 'huiqi init', 'make demo' or an import."""
    data = tmp_path / "data"
    code, out = run(data, "init")
    assert code == 0, out
    assert (data / "mappings").is_dir()
    assert (data / "mappings").stat().st_mode & 0o777 == 0o700


def test_a_column_left_out_of_an_own_mapping_is_refused_with_ignore_as_a_way_out(
    tmp_path: Path,
) -> None:
    """A clerk who deletes the null line of a draft instead of moving its header under
    'ignore:' was told to add it under 'aliases:', which is for other names of a mapped
    column, not for a column to leave out."""
    data = tmp_path / "data"
    steward = accounts(data)["steward"]
    path, _ = registry_file(tmp_path)
    draft = tmp_path / "d.yaml"
    code, out = run(data, "mapping", "new", str(path), "--out", str(draft))
    assert code == 0, out
    draft.write_text(
        "".join(line for line in draft.read_text("utf-8").splitlines(True) if "经办人" not in line),
        encoding="utf-8",
    )
    code, out = run(data, "import", str(path), "--mapping", str(draft), token=steward)
    assert code == 1, out
    assert "headers ['经办人'] are not in mapping" in out
    assert "under 'ignore:' (a column not to import)" in " ".join(out.split())


def test_a_header_that_repeats_a_column_name_is_warned_about(tmp_path: Path) -> None:
    """Regression: a header naming 营业收入（元） twice was drafted as if it had one such
    column, and the import then refused the file ("more than one column feeds field(s)
    ['revenue']"); the draft now says which columns repeat and what to do."""
    a = make("91310115MA0000011")
    path = tmp_path / "dup.csv"
    path.write_text(
        f"统一社会信用代码,年度,营业收入（元）,营业收入（元）\n{a},2024,1,2\n", encoding="utf-8"
    )
    code, out = run(
        tmp_path / "data", "mapping", "new", str(path), "--out", str(tmp_path / "d.yaml")
    )
    said = " ".join(out.split())
    assert code == 0, out
    assert "warning: the header repeats '营业收入（元）' (columns 3, 4)" in said, out
    assert "rename or remove all but one" in said


def _squashed(text: str) -> str:
    return "".join(text.split())


def test_mapping_check_never_calls_a_file_ok_that_it_then_refuses(tmp_path: Path) -> None:
    """A mapping in <data dir>/mappings/ that reused a built-in name was listed as
    'mapping 'tax' ... ok' and then refused below the list by the same check."""
    data = tmp_path / "data"
    folder = data / "mappings"
    folder.mkdir(parents=True, mode=0o700)
    layout = "registry: tax\nlayout: yearly\ncolumns:\n  纳税人识别号: uscc\n  所属年度: year\n"
    (folder / "a.yaml").write_text("name: tax\n" + layout, encoding="utf-8")
    (folder / "b.yaml").write_text("name: district\n" + layout, encoding="utf-8")
    (folder / "c.yaml").write_text("name: district\n" + layout, encoding="utf-8")

    code, out = run(data, "mapping", "check")

    # The console wraps long lines at a space or inside a long path, depending on the
    # temporary folder's length: compare without whitespace (a CI run failed on a wrap).
    said = _squashed(out)
    assert code == 4, out
    assert _squashed("a.yaml: mapping 'tax'") not in said, out
    assert _squashed("c.yaml: mapping") not in said, out
    assert _squashed(f"{folder / 'a.yaml'}: name 'tax' is already the name of mapping") in said
    assert _squashed(f"{folder / 'c.yaml'}: name 'district' is already the name of mapping") in said
    assert _squashed("b.yaml: mapping 'district' (yearly, 2 columns) ok") in said, out
    assert "3 mapping files checked: 2 with errors" in out


def test_drafting_again_over_an_existing_mapping_is_refused_without_force(
    tmp_path: Path,
) -> None:
    """Regression (QA): 'huiqi mapping new FILE --out m.yaml' run a second time replaced the
    mapping the user had completed with a new draft, its confirmed null columns null again."""
    data = tmp_path / "data"
    path = tmp_path / "district.csv"
    path.write_text("纳税人识别号,税款所属年度,营业收入（万元）\n", "utf-8")
    draft = tmp_path / "m.yaml"
    draft.write_text("# completed by hand\n", "utf-8")
    code, out = run(data, "mapping", "new", str(path), "--out", str(draft))
    assert code == 1 and f"{draft} exists" in out and "--force" in out, out
    assert draft.read_text("utf-8") == "# completed by hand\n"
    code, out = run(data, "mapping", "new", str(path), "--out", str(draft), "--force")
    assert code == 0, out
    assert "纳税人识别号" in draft.read_text("utf-8")


def test_mapping_check_lists_every_columns_problem_in_one_run(tmp_path: Path) -> None:
    """Regression (qa1, 2026-12-05): a mapping with a mistyped field and two columns left
    null showed only the first problem, so a data steward ran 'huiqi mapping check' once
    per column (docs/policies.md §12.1 says it prints every problem)."""
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "name: m\nregistry: tax\nlayout: yearly\ncolumns:\n  纳税人识别号: uscc\n"
        "  所属年度: year\n  研发人员: rd_staf\n  营业收入: null\n  利润: null\n",
        encoding="utf-8",
    )
    code, out = run(tmp_path / "data", "mapping", "check", str(mapping))
    shown = " ".join(out.split())
    assert code == 4, out
    assert "line 7, column 9: 'rd_staf' is not an importable dictionary field" in shown
    assert "(2 more problems after this one)" in shown
    assert "line 8, column 9: header '营业收入' has no field yet" in shown
    assert "line 9, column 7: header '利润' has no field yet" in shown
