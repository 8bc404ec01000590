"""A money column's header that names its unit is held against the mapping. A mapping
that read "营业收入（万元）" without 'units:' stored 100.5 万元 as 100.5 yuan, 10,000 times
too small, and "资产总额(单位:万元)", "纳税总额/万元" or "营业收入（千元）" were drafted as
yuan by 'huiqi mapping new': every such file imported without a word."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from huiqi.config import Settings
from huiqi.errors import ImportFileError, MappingError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.mappingdraft import draft_from_rows
from huiqi.profiles.readers import open_source

A = uscc.make("91310115MA0000011")


def write(path: Path, header: list[str], row: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, row])
    return path


def mapping(data: Path, columns: dict[str, str], units: str = "") -> None:
    (data / "mappings").mkdir(parents=True, exist_ok=True)
    lines = "".join(f"  {h}: {f}\n" for h, f in columns.items())
    (data / "mappings" / "office.yaml").write_text(
        f"name: office\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"
        f"  年度: year\n{lines}{units}",
        encoding="utf-8",
    )


def test_a_header_in_wan_yuan_read_by_a_mapping_in_yuan_refuses_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tax.csv", ["统一社会信用代码", "年度", "营业收入（万元）"], [A, "2023", "100.5"]
    )
    settings = Settings(tmp_path / "data")
    mapping(settings.data_dir, {"营业收入（万元）": "revenue"})
    # The mapping itself is refused (as 'huiqi mapping check' says), at the header's line.
    with pytest.raises(
        MappingError,
        match=r"office\.yaml, line 7, column 13: header '营业收入（万元）' gives its amounts in"
        r" wan_yuan, but the mapping reads 'revenue' in yuan; write 'units: \{revenue: wan_yuan\}'",
    ):
        import_file(settings, path, mapping="office")
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())


def test_a_header_in_thousands_of_yuan_is_refused_and_not_drafted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tax.csv", ["统一社会信用代码", "年度", "营业收入（千元）"], [A, "2023", "100.5"]
    )
    _, draft = draft_from_rows(open_source(path).header_rows(), name="office")
    assert draft.columns["营业收入（千元）"] is None and "千元" in draft.how["营业收入（千元）"]
    settings = Settings(tmp_path / "data")
    mapping(settings.data_dir, {"营业收入（千元）": "revenue"})
    with pytest.raises(MappingError, match=r"gives its amounts in 千元, which huiqi does not"):
        import_file(settings, path, mapping="office")


def test_units_written_after_a_slash_a_space_or_unit_colon_are_drafted_and_read(
    tmp_path: Path,
) -> None:
    header = ["统一社会信用代码", "年度", "营业收入/万元", "研发费用 万元", "资产总额(单位:万元)"]
    path = write(tmp_path / "tax.csv", header, [A, "2023", "100.5", "2", "3.25"])
    _, draft = draft_from_rows(open_source(path).header_rows(), name="office")
    assert draft.units == {
        "revenue": "wan_yuan",
        "rd_expense": "wan_yuan",
        "total_assets": "wan_yuan",
    }
    office = tmp_path / "data" / "mappings"
    office.mkdir(parents=True)
    (office / "office.yaml").write_text(draft.to_yaml(path.name), encoding="utf-8")
    settings = Settings(tmp_path / "data")
    report = import_file(settings, path, mapping="office")
    files = str(settings.snapshots_dir / str(report.snapshot_id) / "enterprise_years*.parquet")
    assert duckdb.sql(f"SELECT revenue, rd_expense, total_assets FROM '{files}'").fetchall() == [
        (Decimal("1005000.00"), Decimal("20000.00"), Decimal("32500.00"))
    ]


@pytest.mark.parametrize(
    ("above", "expected"),
    [
        # "人民币万元" was no declaration at all: the amounts were read in yuan.
        (
            ["单位：人民币万元"],
            r"line 1: .* in 万元 \(wan_yuan\), but mapping 'office' reads '营业收入' in 元 \(yuan\)",
        ),
        (["金额单位：千元"], r"line 1: the sheet declares its amounts in 千元, which huiqi does"),
        (["", "", "财务数据（千元）"], r"line 1: '财务数据（千元）' declares the amounts below"),
    ],
)
def test_a_declaration_above_the_header_in_any_wording_is_held_against_the_mapping(
    tmp_path: Path, above: list[str], expected: str
) -> None:
    path = tmp_path / "tax.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [above, ["统一社会信用代码", "年度", "营业收入"], [A, "2023", "100.5"]]
        )
    settings = Settings(tmp_path / "data")
    mapping(settings.data_dir, {"营业收入": "revenue"})
    with pytest.raises(ImportFileError, match=expected):
        import_file(settings, path, mapping="office")
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())


def test_a_unit_row_in_thousands_of_yuan_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tax.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["统一社会信用代码", "年度", "营业收入"], ["", "", "千元"], [A, "2023", "100.5"]]
        )
    settings = Settings(tmp_path / "data")
    mapping(settings.data_dir, {"营业收入": "revenue"})
    with pytest.raises(ImportFileError, match=r"line 2: the row under the header gives '营业收入'"):
        import_file(settings, path, mapping="office")
