"""An amount whose ``floor`` exceeds its ``cap`` is refused at the floor, saying both
figures and what to change. It broke: the refusal pointed at ``amount`` as a whole
("field 'amount': floor 900000 is above cap 50000") and said nothing of what to do."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy, load_policy_text

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"  # floor: 10000, cap: 50000


def _floor_line(text: str) -> int:
    return next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("  floor:"))


def test_a_floor_above_the_cap_is_refused_at_the_floor(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("  floor: 10000\n", "  floor: 900000\n")
    path = tmp_path / SHIPPED.name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value.location) == (
        f"{path}, line {_floor_line(text)}, column 10, field 'amount.floor'"
    )
    assert info.value.message == (
        "floor 900000 exceeds cap 50000: no amount is at least the floor and at most the cap;"
        " lower the floor to at most 50000, or raise the cap to at least 900000"
    )


def test_a_floor_equal_to_the_cap_loads() -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("  floor: 10000\n", "  floor: 50000\n")
    amount = load_policy_text(text, SHIPPED.name).policy.amount
    assert (amount.floor, amount.cap) == (50000, 50000)


@pytest.mark.parametrize(
    "floor", ["10000000000000000", "1.0e+999", "99999999999999999999999999999"]
)
def test_a_floor_at_or_above_the_largest_amount_recorded_is_refused_at_the_floor(
    floor: str,
) -> None:
    """Regression: a floor of 10^16 yuan or more (the largest amount huiqi records is below
    it) loaded; its rule then compared amounts with a number of up to a thousand digits,
    and saving such a draft in the console was a server error (DuckDB: 'out of range')."""
    text = SHIPPED.read_text(encoding="utf-8").replace("  cap: 50000\n", "")
    text = text.replace("  floor: 10000\n", f"  floor: {floor}\n")
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    assert info.value.location is not None and info.value.location.line == _floor_line(text)
    assert "less than 10000000000000000" in info.value.message, info.value.message


def test_a_floor_just_below_the_largest_amount_loads() -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("  cap: 50000\n", "")
    text = text.replace("  floor: 10000\n", "  floor: 9999999999999999.99\n")
    assert str(load_policy_text(text, SHIPPED.name).policy.amount.floor) == "9999999999999999.99"


@pytest.mark.parametrize("version", [2**31, 10**30])
def test_a_version_beyond_the_ledgers_integers_is_refused_at_the_version(version: int) -> None:
    """Regression: 'version: 99999999999999999999999999999' loaded, and saving the draft
    was a server error (SQLite: 'Python int too large to convert to SQLite INTEGER')."""
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace("\nversion: 1\n", f"\nversion: {version}\n")
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    assert info.value.location is not None and info.value.location.field == "version"
    assert "less than or equal to 2147483647" in info.value.message, info.value.message


def _line_of(text: str, start: str) -> int:
    return next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith(start))


@pytest.mark.parametrize(
    ("old", "new", "field", "column", "says"),
    [
        (
            "  floor: 10000\n",
            "  floor: -10000\n",
            "amount.floor",
            10,
            "floor -10000 is negative; write the floor as 0 yuan or more, e.g. 500000",
        ),
        (
            "  cap: 50000\n",
            "  cap: -0.01\n",
            "amount.cap",
            8,
            "cap -0.01 is not an amount above 0 yuan; write the cap in yuan, e.g. 500000,"
            " or remove 'cap' for none",
        ),
        (
            "  cap: 50000\n",
            "  cap: 0\n",
            "amount.cap",
            8,
            "cap 0 is not an amount above 0 yuan; write the cap in yuan, e.g. 500000, or"
            " remove 'cap' for none",
        ),
        (
            "delivery: auto\n",
            "delivery: auto\nbudget: -5000000\n",
            "budget",
            9,
            "budget -5000000 is not an amount above 0 yuan; write the budget in yuan, e.g."
            " 500000, or remove 'budget' for none",
        ),
        (
            "delivery: auto\n",
            "delivery: auto\nper_enterprise_cap: 0\n",
            "per_enterprise_cap",
            21,
            "per_enterprise_cap 0 is not an amount above 0 yuan; write the per_enterprise_cap"
            " in yuan, e.g. 500000, or remove 'per_enterprise_cap' for none",
        ),
    ],
)
def test_an_amount_below_zero_is_refused_naming_its_key_line_and_column(
    tmp_path: Path, old: str, new: str, field: str, column: int, says: str
) -> None:
    """Regression: a negative floor or cap (or a budget of 0 or less) was refused at its
    key with pydantic's "Input should be greater than or equal to 0", which said neither
    the value nor what to write."""
    text = SHIPPED.read_text(encoding="utf-8").replace(old, new)
    path = tmp_path / SHIPPED.name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    line = _line_of(text, new.splitlines()[-1])
    assert str(info.value.location) == f"{path}, line {line}, column {column}, field '{field}'"
    assert info.value.message == says


_EXPECTED = '    expect: {status: eligible, amount: "22839.45"}\n'


@pytest.mark.parametrize("written", ['"-5.00"', "-5", "-0.01", '"-22839.45"'])
def test_a_negative_expected_amount_is_refused_at_its_line_and_column(
    tmp_path: Path, written: str
) -> None:
    """Regression: a test case's ``expect: {amount: "-5.00"}`` loaded, although no
    evaluation gives a negative amount; the case could only ever fail."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert _EXPECTED in text
    text = text.replace(_EXPECTED, _EXPECTED.replace('"22839.45"', written))
    path = tmp_path / SHIPPED.name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    line = _line_of(text, _EXPECTED.replace('"22839.45"', written).rstrip("\n"))
    column = _EXPECTED.index('"22839.45"') + 1
    assert str(info.value.location) == (
        f"{path}, line {line}, column {column}, field 'tests[0].expect.amount'"
    )
    shown = written.strip('"')
    assert info.value.message == (
        f"expected amount {shown} is negative, and an amount is never below 0: write the"
        ' amount in yuan the case should receive, 0 or more, e.g. amount: "10000.00"'
    )


@settings(max_examples=50, deadline=None)
@given(fen=st.integers(min_value=-(10**17), max_value=10**17))
def test_an_expected_amount_is_refused_exactly_when_it_is_negative(fen: int) -> None:
    yuan = Decimal(fen).scaleb(-2)
    text = SHIPPED.read_text(encoding="utf-8").replace(
        _EXPECTED, _EXPECTED.replace('"22839.45"', f'"{yuan}"')
    )
    try:
        case = load_policy_text(text, SHIPPED.name).policy.tests[0]
    except PolicyError as exc:
        assert fen < 0, exc
        assert exc.location is not None and exc.location.field == "tests[0].expect.amount"
        assert exc.message.startswith(f"expected amount {yuan} is negative"), exc.message
    else:
        assert fen >= 0 and case.expect.amount == yuan


FIXED = library_dir() / "jd-little-giant-award-2026.yaml"  # formula: "300000"


@pytest.mark.parametrize("written", ["300000", "300000.00"])
def test_a_fixed_amount_written_as_a_yaml_number_is_its_formula(written: str) -> None:
    """Regression: 'formula: 200000' was refused with "YAML read 200000 as a number; put
    a code in quotes": a number is a formula, and its digits are kept as written."""
    text = FIXED.read_text(encoding="utf-8")
    assert '  formula: "300000"\n' in text
    unquoted = text.replace('  formula: "300000"\n', f"  formula: {written}\n")
    loaded = load_policy_text(unquoted, FIXED.name).policy
    assert loaded.amount.formula == written
    assert loaded.amount == load_policy_text(text, FIXED.name).policy.amount.model_copy(
        update={"formula": written}
    )


def test_a_yes_no_word_is_still_no_formula() -> None:
    text = FIXED.read_text(encoding="utf-8").replace('  formula: "300000"\n', "  formula: yes\n")
    with pytest.raises(PolicyError, match=r"amount.formula"):
        load_policy_text(text, FIXED.name)
