"""A relations file whose every share is at most 1 (%) most likely writes fractions (0.3 for
30 %) under a header without its unit: the rows are kept as written, and the import report
says so, since a related-party threshold of 25 % reads them as per cent."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import_links import BUYER, PARENT, VENDOR, write_csv

from huiqi.config import Settings
from huiqi.profiles.importer import import_file
from huiqi.web.api.imports_schemas import ImportReportPublic

HEADER = ["统一社会信用代码", "关联方类型", "关联方标识", "关系类型", "持股比例", "起始日期"]


def _import(tmp_path: Path, shares: list[str]) -> tuple[int, str, int]:
    parties = [PARENT, VENDOR]
    rows = [
        [BUYER, "企业", parties[i], "股东", share, "2020-01-01"] for i, share in enumerate(shares)
    ]
    report = import_file(Settings(tmp_path / "data"), write_csv(tmp_path / "r.csv", HEADER, rows))
    assert report.rows_accepted == len(shares), report.messages
    public = ImportReportPublic.of(report.to_json())
    return report.shares_at_most_one, report.summary(), public.shares_at_most_one


def test_shares_written_as_fractions_are_kept_and_said(tmp_path: Path) -> None:
    count, text, public = _import(tmp_path, ["0.3", "0.7"])
    assert count == public == 2
    assert "Shares: every one of the 2 share(s) in this file is at most 1 %" in text


@pytest.mark.parametrize("shares", [["30", "0.7"], ["25.5", "70"]])
def test_shares_in_per_cent_say_nothing(tmp_path: Path, shares: list[str]) -> None:
    count, text, public = _import(tmp_path, shares)
    assert count == public == 0 and "Shares:" not in text
