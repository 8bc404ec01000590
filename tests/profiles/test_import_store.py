"""What an import does to the store: upserts, snapshots, duplicates, repeat imports."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.store import ProfileStore

PUDONG = uscc.make("91310115MA1H8R7C4")
XUHUI = uscc.make("91310104MA1K00234")
# A code registered in the retired Zhabei district (310108): valid as a USCC.
ZHABEI = uscc.make("91310108MA1B00001")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def query(settings: Settings, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path):
    path = write_csv(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码", "年度", "营业收入(元)"],
            [PUDONG, "2023", "0.30"],
            [XUHUI, "2022", "5"],
        ],
    )
    settings = Settings(tmp_path / "data")

    first = import_file(settings, path)
    second = import_file(settings, path)

    assert (first.rows_changed, second.rows_changed) == (2, 0)
    assert (second.snapshot_id, second.rows_accepted) == (2, 2)
    assert "No changes: every accepted row was already in the store." in second.summary()
    assert query(
        settings, "SELECT uscc, year, revenue, updated_snapshot FROM enterprise_years ORDER BY uscc"
    ) == [
        (XUHUI, 2022, Decimal("5.00"), 1),
        (PUDONG, 2023, Decimal("0.30"), 1),
    ]


def test_a_changed_value_is_updated_and_counted(tmp_path: Path):
    settings = Settings(tmp_path / "data")
    header = ["统一社会信用代码", "年度", "营业收入(元)"]
    import_file(
        settings,
        write_csv(tmp_path / "a.csv", [header, [PUDONG, "2023", "1"], [XUHUI, "2023", "2"]]),
    )

    report = import_file(
        settings,
        write_csv(tmp_path / "b.csv", [header, [PUDONG, "2023", "1"], [XUHUI, "2023", "3"]]),
    )

    assert report.rows_changed == 1
    assert query(
        settings, "SELECT revenue, updated_snapshot FROM enterprise_years WHERE uscc = ?", [XUHUI]
    ) == [(Decimal("3.00"), 2)]


def test_an_empty_cell_never_clears_a_stored_value(tmp_path: Path):
    """Regression: a later file with a figure left empty erased the stored one (the
    enterprise's R&D award then read "needs data"), and the report said nothing."""
    settings = Settings(tmp_path / "data")
    header = ["统一社会信用代码", "年度", "营业收入(元)", "研发费用(元)"]
    import_file(settings, write_csv(tmp_path / "a.csv", [header, [PUDONG, "2025", "9", "1"]]))
    market = ["统一社会信用代码", "企业名称", "行业代码"]
    import_file(settings, write_csv(tmp_path / "m.csv", [market, [PUDONG, "甲", "6513"]]))

    later = import_file(
        settings,
        write_csv(
            tmp_path / "b.csv", [header, [PUDONG, "2025", "8", ""], [XUHUI, "2025", "", "2"]]
        ),
    )
    again = import_file(settings, write_csv(tmp_path / "n.csv", [market, [PUDONG, "", ""]]))

    assert query(
        settings, "SELECT uscc, revenue, rd_expense FROM enterprise_years ORDER BY uscc"
    ) == [
        (XUHUI, None, Decimal("2.00")),
        (PUDONG, Decimal("8.00"), Decimal("1.00")),
    ]
    assert query(
        settings,
        "SELECT name, industry_class, industry_section FROM enterprises WHERE uscc = ?",
        [PUDONG],
    ) == [("甲", "6513", "I")]
    assert (later.rows_changed, later.blanks_kept) == (2, 1)
    assert "Kept 1 stored value(s) where the file's cell is empty" in later.summary()
    assert (again.rows_changed, again.blanks_kept) == (0, 2)


def test_a_registry_updates_only_its_own_fields(tmp_path: Path):
    settings = Settings(tmp_path / "data")
    market = write_csv(
        tmp_path / "market.csv",
        [
            ["统一社会信用代码", "企业名称", "注册区划代码", "行业代码"],
            [PUDONG, "浦东公司", "310115", "6513"],
        ],
    )
    import_file(settings, market, mapping="market")
    science = write_csv(
        tmp_path / "science.csv",
        [
            ["统一社会信用代码", "I类知识产权数", "设有研发机构"],
            [PUDONG, "3", "是"],
            [ZHABEI, "1", "否"],
        ],
    )
    renamed = write_csv(
        tmp_path / "rename.csv", [["统一社会信用代码", "企业名称"], [PUDONG, "浦东新公司"]]
    )

    import_file(settings, science)
    import_file(settings, renamed, mapping="market")

    assert query(
        settings,
        "SELECT uscc, name, district_code::VARCHAR, industry_section::VARCHAR, ip_class1_count,"
        " has_rd_institution, uscc_region FROM enterprises ORDER BY uscc",
    ) == [
        (ZHABEI, None, None, None, 1, False, "310108"),
        (PUDONG, "浦东新公司", "310115", "I", 3, True, "310115"),
    ]


def test_duplicate_keys_in_one_file_are_all_rejected(tmp_path: Path):
    settings = Settings(tmp_path / "data")
    path = write_csv(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码", "年度", "营业收入(元)"],
            [PUDONG, "2023", "1"],
            [PUDONG, "2022", "2"],
            [PUDONG.lower(), "2023", "3"],
        ],
    )

    report = import_file(settings, path)

    reason = (
        "duplicate key: lines 2, 4 have the same uscc and year; "
        "rows sharing a key are all rejected, keep one and import again"
    )
    assert report.messages == [
        f"tax.csv, line 2, column '统一社会信用代码' (field 'uscc'): {reason}",
        f"tax.csv, line 4, column '统一社会信用代码' (field 'uscc'): {reason}",
    ]
    assert query(settings, "SELECT year FROM enterprise_years") == [(2022,)]


def test_a_row_repeated_exactly_is_kept_once(tmp_path: Path):
    """Regression: a line an export wrote twice (byte for byte) took the enterprise's year
    out of the import: both lines were rejected as a duplicate key."""
    settings = Settings(tmp_path / "data")
    header = ["统一社会信用代码", "年度", "营业收入(元)"]
    path = write_csv(
        tmp_path / "tax.csv",
        [
            header,
            [PUDONG, "2023", "1"],
            [XUHUI, "2023", "5"],
            [PUDONG, "2023", "1.00"],
            [PUDONG, "2023", "1"],
        ],
    )
    report = import_file(settings, path)
    assert (report.rows_accepted, report.rows_rejected) == (2, 2)
    assert report.messages == [
        f"tax.csv, line {n}, column '统一社会信用代码' (field 'uscc'): repeats line 2 exactly"
        " (the same uscc and year and values); line 2 is kept once"
        for n in (4, 5)
    ]
    assert query(settings, "SELECT uscc, revenue FROM enterprise_years ORDER BY uscc") == [
        (XUHUI, Decimal("5.00")),
        (PUDONG, Decimal("1.00")),
    ]


def test_each_import_is_a_frozen_snapshot_with_hash_counts_and_report(tmp_path: Path):
    settings = Settings(tmp_path / "data")
    path = write_csv(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码", "年度", "营业收入(元)"],
            [PUDONG, "2023", "1"],
            [XUHUI, "2023", "-1"],
        ],
    )

    report = import_file(settings, path)

    [info] = ProfileStore(settings).snapshots()
    assert (info.snapshot_id, info.kind, info.registry, info.frozen) == (1, "import", "tax", True)
    assert (info.rows_read, info.rows_accepted, info.rows_rejected) == (2, 1, 1)
    [(sha, changed, report_path)] = query(
        settings, "SELECT file_sha256, rows_changed, report_path FROM snapshots"
    )
    assert (sha, changed, report_path) == (report.sha256, 1, str(report.report_path))
    frozen = ProfileStore(settings).snapshot_files(1)
    assert pq.read_table(frozen["enterprise_years"]).num_rows == 1
    assert report.report_path == settings.imports_dir / "1" / "report.json"
    assert report.report_path.with_suffix(".txt").read_text("utf-8") == report.summary() + "\n"
    assert report.summary().splitlines()[:2] == [
        "Imported tax.csv with mapping 'tax' (csv, utf-8) as snapshot 1.",
        "Rows: 2 read, 1 accepted, 1 rejected, 1 changed.",
    ]


def test_a_field_another_registry_owns_is_named_in_the_report(tmp_path: Path):
    """Regression: a tax file's 从业人数 was imported without a word, and explain and My data
    then named the statistics bureau as the figure's source (and sent corrections there)."""
    settings = Settings(tmp_path / "data")
    path = write_csv(
        tmp_path / "t.csv", [["统一社会信用代码", "年度", "从业人数"], [PUDONG, "2025", "5"]]
    )
    mapping = tmp_path / "t.yaml"
    mapping.write_text(
        "name: t\nregistry: tax\nlayout: yearly\ncolumns:\n"
        "  统一社会信用代码: uscc\n  年度: year\n  从业人数: employees\n",
        encoding="utf-8",
    )
    report = import_file(settings, path, mapping=str(mapping))
    assert report.other_registries == ["employees (statistics)"]
    assert "Fields another registry owns, fed by this 'tax' file: employees (statistics)" in (
        report.summary()
    )
    clean = import_file(
        settings,
        write_csv(
            tmp_path / "s.csv", [["统一社会信用代码", "年度", "从业人员"], [PUDONG, "2025", "6"]]
        ),
    )
    assert clean.other_registries == []
