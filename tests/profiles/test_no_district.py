"""The data steward is told which enterprises have no district recorded: no district
officer's run covers them (huiqi.profiles.no_district)."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import duckdb

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.no_district import FILE, SHOWN, write_no_district
from huiqi.sheetcells import safe_row

PUDONG = uscc.make("91310115MA1H8R7C4")
NOWHERE = uscc.make("91310104MA1K00234")


def market_file(path: Path, nowhere_district: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["统一社会信用代码", "企业名称", "注册区划代码"],
                [PUDONG, "浦东甲公司", "310115"],
                [NOWHERE, "无区乙公司", nowhere_district],
            ]
        )
    return path


def test_an_import_tells_the_steward_which_enterprises_have_no_district(tmp_path: Path) -> None:
    """Regression: an enterprise imported without a district code was in no district
    officer's run, and nothing told the data steward."""
    settings = Settings(tmp_path / "data")
    report = import_file(settings, market_file(tmp_path / "market.csv", ""))
    assert report.rows_accepted == 2
    assert report.no_district == 1
    text = report.summary()
    assert f"No district recorded: 1 enterprise(s) ({NOWHERE};" in text
    assert "注册区划代码" in text
    assert report.no_district_path is not None
    with report.no_district_path.open(encoding="utf-8-sig") as fh:
        assert list(csv.reader(fh)) == [["uscc", "name"], [NOWHERE, "无区乙公司"]]
    stored = json.loads(report.report_path.read_text(encoding="utf-8"))
    assert stored["no_district"] == 1
    assert "No district recorded" in report.report_path.with_suffix(".txt").read_text("utf-8")

    mended = import_file(settings, market_file(tmp_path / "mended.csv", "310104"))
    assert mended.no_district == 0
    assert "No district recorded" not in mended.summary()


def test_the_list_is_made_safe_to_open_cell_by_cell_as_the_other_reports(tmp_path: Path) -> None:
    """The list is written with its cells made safe in SQL and whole chunks handed to the
    csv writer: the file must be what ``sheetcells.safe_row`` per row wrote, byte for
    byte (a name that opens as a formula, quotes, separators, line breaks, no name), and
    the first USCCs named in the report are the codes themselves."""
    names = [
        "=HYPERLINK(1)",
        "+86 公司",
        "-甲",
        "@乙",
        "\t丙",
        "\r丁",
        '"引号",逗号',
        "换\n行",
        None,
    ]
    codes = sorted(uscc.make(f"91310104MA1K{i:05d}") for i in range(len(names) + 6000))
    con = duckdb.connect()
    con.execute("CREATE TABLE enterprises (uscc VARCHAR, name VARCHAR, district_code VARCHAR)")
    rows = [(c, names[i % len(names)], None) for i, c in enumerate(codes)]
    con.executemany("INSERT INTO enterprises VALUES (?, ?, ?)", [*rows, (PUDONG, "甲", "310115")])
    path = tmp_path / FILE

    count, first = write_no_district(con, path)

    expected = io.StringIO(newline="")
    writer = csv.writer(expected)
    writer.writerow(["uscc", "name"])
    writer.writerows(safe_row([c, n or ""]) for c, n, _ in rows)
    assert path.read_bytes() == codecs.BOM_UTF8 + expected.getvalue().encode()
    assert (count, first) == (len(codes), codes[:SHOWN])
