"""A coded column where the sheet has no value: '无', '/', '—' (as number columns already
said, "marks a missing figure"). A code column refused them as "not an allowed value"
followed by the whole code list, and advised mapping '无' to a code under values:."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file

PUDONG = uscc.make("91310115MA1H8R7C4")
XUHUI = uscc.make("91310104MA1K00234")


def import_rating(tmp_path: Path, value: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "tax.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["统一社会信用代码", "年度", "纳税信用等级"],
                [PUDONG, "2023", value],
                [XUHUI, "2023", "A"],
            ]
        )
    return import_file(Settings(tmp_path / "data"), path, mapping="tax")


@pytest.mark.parametrize("mark", ["无", "/", "—", "-", "N/A"])
def test_a_missing_mark_in_a_code_column_says_to_leave_the_cell_empty(
    tmp_path: Path, mark: str
) -> None:
    report = import_rating(tmp_path, mark)
    assert report.rows_accepted == 1
    assert report.messages == [
        f"tax.csv, line 2, column '纳税信用等级' (field 'tax_credit_rating'): '{mark}' marks a"
        " missing value, not a code: leave the cell empty when the value is not known"
    ]


def test_an_office_code_named_wu_is_still_read(tmp_path: Path) -> None:
    """Only a text that names no code is a missing mark: an office's list may call one 无."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "dictionary.yaml").write_text(
        "code_lists:\n  pollution_levels:\n    none: {zh: 无, en: None}\n"
        "    light: {zh: 轻度, en: Light}\nfields:\n  - name: pollution_level\n    type: enum\n"
        "    codes: pollution_levels\n    label: {zh: 污染等级, en: Pollution level}\n"
        "    source: park\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "levels.yaml"
    mapping.write_text(
        "name: levels\nregistry: park\nlayout: static\ncolumns:\n"
        "  统一社会信用代码: uscc\n  污染等级: pollution_level\n",
        encoding="utf-8",
    )
    path = tmp_path / "levels.csv"
    path.write_text(f"统一社会信用代码,污染等级\n{PUDONG},无\n{XUHUI},/\n", encoding="utf-8")

    report = import_file(Settings(data), path, mapping=str(mapping))

    assert report.rows_accepted == 1
    assert report.messages == [
        "levels.csv, line 3, column '污染等级' (field 'pollution_level'): '/' marks a missing"
        " value, not a code: leave the cell empty when the value is not known"
    ]


@settings(max_examples=25, deadline=None)
@given(mark=st.text(alphabet="-—–－/／", min_size=1, max_size=4))
def test_any_run_of_dashes_or_slashes_is_a_missing_mark(mark: str) -> None:
    report = import_rating(Path(tempfile.mkdtemp()), mark)
    assert report.rows_accepted == 1
    assert len(report.messages) == 1 and "marks a missing value" in report.messages[0]
