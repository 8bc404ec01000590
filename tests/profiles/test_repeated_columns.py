"""A registry file whose header names one field twice (a column copied beside itself, an
alias beside its column): refused, saying which columns by position and what to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.config import Settings
from huiqi.errors import ImportFileError
from huiqi.profiles import uscc
from huiqi.profiles.importer import import_file
from huiqi.profiles.mapping_finder import get_mapping

PUDONG = uscc.make("91310115MA1H8R7C4")


def test_a_column_named_twice_is_refused_naming_both_columns(tmp_path: Path) -> None:
    """Regression: the refusal said "more than one column feeds field(s) ['revenue']" and
    listed every header the mapping expects and every header found; with two columns
    headed alike, nothing said which of the file's columns to delete."""
    path = tmp_path / "tax.csv"
    path.write_text(
        f"统一社会信用代码,年度,营业收入(元),营业收入(元)\n{PUDONG},2023,1,2\n", encoding="utf-8"
    )
    settings = Settings(tmp_path / "data")

    with pytest.raises(ImportFileError) as refused:
        import_file(settings, path)

    assert refused.value.message == (
        f"{path}: column 3 (C) '营业收入(元)' and column 4 (D) '营业收入(元)' feed the same"
        " field 'revenue'. A field is read from one column: delete the other columns, or"
        " rename them and list them under 'ignore:' in a mapping file of your own"
    )
    assert not settings.snapshots_dir.exists() or not any(settings.snapshots_dir.iterdir())


def test_an_alias_beside_its_column_is_named_too() -> None:
    contracts = get_mapping("contracts")
    with pytest.raises(ImportFileError) as refused:
        contracts.resolve(
            "c.csv",
            ["统一社会信用代码", "合同编号", "买方统一社会信用代码", "合同金额(元)", "签订日期"],
        )
    assert refused.value.message.startswith(
        "c.csv: column 1 (A) '统一社会信用代码' and column 3 (C) '买方统一社会信用代码' feed"
        " the same field 'uscc'."
    )


TAX = get_mapping("tax")
TAX_HEADERS = list(TAX.columns)


@given(st.lists(st.sampled_from([*TAX_HEADERS, "备注", "序号"]), min_size=1, max_size=30))
def test_every_repeated_column_is_named_by_its_position(header: list[str]) -> None:
    fields = [TAX.headers.get(h) for h in header]
    repeated = {i + 1 for i, f in enumerate(fields) if f is not None and fields.count(f) > 1}
    try:
        by_position = TAX.resolve("t.csv", header)
    except ImportFileError as exc:
        named = {int(n) for n in re.findall(r"column (\d+) \(", exc.message)}
        assert named == repeated or (not repeated and "required headers" in exc.message)
    else:
        assert not repeated
        assert len(set(by_position.values())) == len(by_position)
