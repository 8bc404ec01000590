"""The ``units:`` section of a mapping file as a steward writes it after reading the
README: the unit in Chinese, as the header writes it (``revenue: 万元``), or the column
by its header (``营业收入: wan_yuan``). Both were refused with "needs a money field and
one of ['yuan', 'wan_yuan', 'yi_yuan']", which did not say which of the two was wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import MappingError
from huiqi.profiles.mapping import UNITS
from huiqi.profiles.mapping_file import parse_mapping

HEAD = """name: district-tax
registry: tax
layout: yearly
columns:
  纳税人识别号: uscc
  所属年度: year
  营业收入（万元）: revenue
units:
"""


def refusal(units: str) -> str:
    with pytest.raises(MappingError) as refused:
        parse_mapping(HEAD + units, "m.yaml")
    return str(refused.value)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("万元", "wan_yuan"), ("亿元", "yi_yuan"), ("万", "wan_yuan"), ("元", "yuan")],
)
def test_a_unit_written_in_chinese_says_its_name(written: str, meant: str) -> None:
    assert refusal(f"  revenue: {written}\n") == (
        f"m.yaml, line 9, column 12: units: '{written}' is not a unit name; write revenue:"
        f" {meant} for {written}; use one of ['yuan', 'wan_yuan', 'yi_yuan'] (元, 万元, 亿元)"
    )


def test_a_column_named_by_its_header_says_which_field_to_write() -> None:
    assert refusal("  营业收入（万元）: wan_yuan\n") == (
        "m.yaml, line 9, column 13: units: '营业收入（万元）' is not a money field: units: says"
        " in which unit a column of amounts is written (万元, 亿元); '营业收入（万元）' is a"
        " header: write its field, revenue: wan_yuan"
    )


def test_a_field_that_is_no_amount_is_named() -> None:
    assert refusal("  employees: wan_yuan\n").endswith(
        "units: 'employees' is not a money field: units: says in which unit a column of"
        " amounts is written (万元, 亿元); name the field of such a column"
    )


@given(unit=st.text(min_size=1, max_size=6).filter(lambda t: t.strip() and t not in UNITS))
def test_any_other_unit_is_refused_at_its_position(unit: str) -> None:
    text = HEAD + "  revenue: " + repr(unit).replace("\\", "\\\\") + "\n"
    try:
        parse_mapping(text, "m.yaml")
    except MappingError as exc:
        assert exc.location is not None and exc.location.line is not None
    else:  # pragma: no cover - only a name of UNITS loads
        raise AssertionError(f"{unit!r} was accepted")
