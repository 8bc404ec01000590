"""The import report's reject lines: one line each, whatever the header's cell holds."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

CODE = uscc.make("91310115MA1H8R7C4")


def test_a_header_typed_on_two_lines_is_shown_on_one(tmp_path: Path) -> None:
    """Regression: a header written with Alt+Enter in its cell ('营业收入' over '（万元）')
    broke the report's reject line in two at the column's name."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["统一社会信用代码", "年度", "营业收入\n（万元）"])
    sheet.append([CODE, 2025, "12.3456789"])
    path = tmp_path / "tax.xlsx"
    wb.save(path)
    mapping = tmp_path / "district-tax.yaml"
    mapping.write_text(
        "name: district-tax\nregistry: tax\nlayout: yearly\ncolumns:\n"
        '  统一社会信用代码: uscc\n  年度: year\n  "营业收入\\n（万元）": revenue\n'
        "units: {revenue: wan_yuan}\n",
        encoding="utf-8",
    )

    report = import_file(Settings(tmp_path / "data"), path, mapping=str(mapping))

    (message,) = report.messages
    assert message == (
        "tax.xlsx, line 2, column '营业收入 （万元）' (field 'revenue'): '12.3456789' has 7"
        " decimals; an amount in 万元 takes at most 6"
    )
