"""A registry's own size class is imported beside the derived one; disagreements are reported."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.size_class import refresh_size_classes

AGREES, DIFFERS, UNKNOWN = (uscc.make(f"91310115MA000000{i}") for i in (1, 2, 3))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_a_reported_size_class_that_differs_is_counted_and_listed(tmp_path: Path) -> None:
    data = Settings(tmp_path / "data")
    market = write_csv(
        tmp_path / "market.csv",
        [["统一社会信用代码", "行业代码"], [AGREES, "6513"], [DIFFERS, "6513"], [UNKNOWN, "6513"]],
    )
    tax = write_csv(
        tmp_path / "tax.csv",
        [
            ["统一社会信用代码", "年度", "营业收入(元)", "资产总额(元)"],
            [AGREES, "2024", "8000000", "1000000"],
            [DIFFERS, "2024", "8000000", "1000000"],
        ],
    )
    stats = write_csv(
        tmp_path / "statistics.csv",
        [
            ["统一社会信用代码", "年度", "从业人员", "企业规模"],
            [AGREES, "2024", "120", "小型"],  # 120 staff, 8 m yuan: small by the 2017 rule
            [DIFFERS, "2024", "8", "small"],  # 8 staff: micro by the rule, reported small
            [UNKNOWN, "2024", "50", "medium"],  # no revenue: the rule cannot say
        ],
    )
    for path in (market, tax):
        assert import_file(data, path).rows_rejected == 0
    report = import_file(data, stats)

    assert (report.rows_accepted, report.rows_rejected) == (3, 0)
    assert report.size_class_disagreements == 1
    assert report.size_class_messages == [
        f"statistics.csv, line 3: {DIFFERS} 2024: reported 'small', derived 'micro' from"
        " employees, revenue and total assets"
    ]
    assert "Size class: 1 enterprise-years where the registry's class" in report.summary()
    saved = json.loads(report.report_path.read_text("utf-8"))
    assert saved["size_class_disagreements"] == 1
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        rows = con.execute(
            "SELECT uscc, size_class_reported, size_class FROM enterprise_years"
            " WHERE year = 2024 ORDER BY uscc"
        ).fetchall()
    assert sorted(rows) == sorted(
        [(AGREES, "small", "small"), (DIFFERS, "small", "micro"), (UNKNOWN, "medium", None)]
    )


def test_figures_that_change_the_derived_class_report_the_disagreement(tmp_path: Path) -> None:
    """Statistics (with the reported class) first, tax figures later: the tax import reports."""
    data = Settings(tmp_path / "data")
    market = write_csv(
        tmp_path / "market.csv", [["统一社会信用代码", "行业代码"], [DIFFERS, "6513"]]
    )
    stats = write_csv(
        tmp_path / "statistics.csv",
        [["统一社会信用代码", "年度", "从业人员", "企业规模"], [DIFFERS, "2024", "120", "中型"]],
    )
    tax = write_csv(
        tmp_path / "tax.csv",
        [["统一社会信用代码", "年度", "营业收入(元)"], [DIFFERS, "2024", "8000000"]],
    )
    import_file(data, market)
    assert import_file(data, stats).size_class_disagreements == 0  # no revenue yet
    report = import_file(data, tax)
    assert report.size_class_messages == [
        f"tax.csv, line 2: {DIFFERS} 2024: reported 'medium', derived 'small' from"
        " employees, revenue and total assets"
    ]


def test_a_file_without_a_reported_class_reports_nothing(tmp_path: Path) -> None:
    stats = write_csv(
        tmp_path / "statistics.csv",
        [["统一社会信用代码", "年度", "从业人员"], [AGREES, "2024", "120"]],
    )
    report = import_file(Settings(tmp_path / "data"), stats)
    assert report.size_class_disagreements == 0 and "Size class" not in report.summary()


def test_a_first_yearly_import_leaves_no_size_class_to_derive(tmp_path: Path) -> None:
    """A first yearly import into an empty store does not run the size-class ``UPDATE``s
    (``upsert.refresh_derived``): its enterprises are all stubs without an industry class,
    so every class is unknown as inserted. Deriving them afterwards must change no year;
    a market import that brings the industry then derives them."""
    data = Settings(tmp_path / "data")
    stats = write_csv(
        tmp_path / "statistics.csv",
        [
            ["统一社会信用代码", "年度", "从业人员", "企业规模"],
            [AGREES, "2024", "120", "中型"],
            [DIFFERS, "2023", "8", "小型"],
            [DIFFERS, "2024", "400", "大型"],
        ],
    )
    first = import_file(data, stats)
    assert (first.rows_changed, first.size_classes_refreshed) == (3, True)
    assert first.size_class_disagreements == 0
    with duckdb.connect(str(data.profiles_db)) as con:
        assert refresh_size_classes(con, snapshot_id=first.snapshot_id + 1) == 0
        assert con.execute(
            "SELECT count(*) FROM enterprise_years WHERE size_class IS NOT NULL"
        ).fetchone() == (0,)
    market = write_csv(
        tmp_path / "market.csv",
        [["统一社会信用代码", "行业代码"], [AGREES, "8010"], [DIFFERS, "8010"]],
    )
    import_file(data, market)
    with duckdb.connect(str(data.profiles_db), read_only=True) as con:
        classes = con.execute(
            "SELECT uscc, year, size_class::VARCHAR FROM enterprise_years ORDER BY uscc, year"
        ).fetchall()
    assert classes == sorted(
        [(AGREES, 2024, "medium"), (DIFFERS, 2023, "micro"), (DIFFERS, 2024, "large")]
    )
