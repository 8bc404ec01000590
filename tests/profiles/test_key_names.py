"""The names other registries give the key columns (``mapping.KEY_NAMES``): a tax
bureau's export headed 纳税人识别号 and 纳税年度 imports with the built-in mapping, as
one headed 统一社会信用代码 and 年度 does. Regression: such a file was refused with "no
mapping matches" and the advice to draft a mapping of one's own."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.mapping import KEY_NAMES, LINK_LAYOUTS, normalise_header
from huiqi.profiles.mapping_finder import detect_mapping, get_mapping, packaged_mappings

PUDONG = uscc.make("91310115MA1H8R7C4")


@pytest.mark.parametrize("code", KEY_NAMES["uscc"])
@pytest.mark.parametrize("year", KEY_NAMES["year"])
def test_a_tax_file_headed_by_other_key_names_is_the_tax_mapping(code: str, year: str) -> None:
    found = detect_mapping("t.csv", [code, year, "营业收入(元)", "纳税总额(元)"])
    assert found.name == "tax"
    assert found.resolve("t.csv", [code, year, "营业收入(元)"]) == {
        0: "uscc",
        1: "year",
        2: "revenue",
    }


def test_a_tax_bureaus_export_imports_with_its_amounts(tmp_path: Path) -> None:
    path = tmp_path / "tax.csv"
    path.write_text(
        f"纳税人识别号,纳税人名称,所属年度,营业收入（万元）\n{PUDONG},某某科技有限公司,2024,1234.5\n",
        encoding="utf-8",
    )
    settings = Settings(tmp_path / "data")

    report = import_file(settings, path)

    assert report.rows_accepted == 1, report
    with duckdb.connect(str(settings.profiles_db), read_only=True) as con:
        row = con.execute(
            "SELECT year, revenue FROM enterprise_years WHERE uscc = ?", [PUDONG]
        ).fetchone()
    assert row is not None and row[0] == 2024 and int(row[1]) == 12_345_000


def test_two_columns_naming_the_code_are_refused_naming_both(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as refused:
        get_mapping("tax").resolve("t.csv", ["统一社会信用代码", "纳税人识别号", "年度"])
    assert refused.value.message.startswith(
        "t.csv: column 1 (A) '统一社会信用代码' and column 2 (B) '纳税人识别号' feed the same"
        " field 'uscc'."
    )


def test_records_between_two_enterprises_take_no_other_key_name() -> None:
    """In a relations or contracts file a code could be either party's."""
    for name in ("relations", "contracts"):
        mapping = get_mapping(name)
        assert mapping.layout in LINK_LAYOUTS
        assert "纳税人识别号" not in mapping.headers


def test_a_mapping_that_uses_a_key_name_for_another_field_keeps_it() -> None:
    """An office's own mapping decides: a name it maps or skips is not taken as a key."""
    tax = get_mapping("tax")
    own = type(tax)(**{**tax.__dict__, "name": "own", "ignore": ("年份",)})
    assert "年份" not in own.headers
    assert own.headers[normalise_header("纳税年度")] == "year"


@given(st.sampled_from(sorted(packaged_mappings())), st.sampled_from(KEY_NAMES["uscc"]))
def test_every_one_enterprise_layout_reads_the_code_under_its_other_names(
    name: str, code: str
) -> None:
    mapping = get_mapping(name)
    if mapping.layout in LINK_LAYOUTS:
        return
    assert mapping.headers[normalise_header(code)] == "uscc"
