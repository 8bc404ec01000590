"""A policy's integer keys (``version``, ``data_year``) must be YAML integers, and its
money keys (``amount.cap``, ``amount.floor``, ``budget``, ``per_enterprise_cap``, a test
case's expected ``amount``) plain digits: ``data_year: "2025"`` and ``cap: 1e5`` were
accepted (pydantic converted the text), so a year written as text or an amount in
scientific notation went through unnoticed. Each is refused at its line and column with
what to write instead."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"  # floor: 10000, cap: 50000
TEXT = SHIPPED.read_text(encoding="utf-8")


def _refusal(old: str, new: str) -> PolicyError:
    text = TEXT.replace(old, new, 1)
    assert text != TEXT, old
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "data_year: 2025",
            'data_year: "2025"',
            "data_year",
            '"2025" is text (it is in quotes), and data_year is a whole number:'
            " write data_year: 2025 without the quotes",
        ),
        (
            "data_year: 2025",
            "data_year: 2025.0",
            "data_year",
            "2025.0 is not a whole number as written: write data_year: 2025 without a decimal"
            " point",
        ),
        (
            "data_year: 2025",
            "data_year: yes",
            "data_year",
            "data_year must be a whole number written in digits, e.g. data_year: 2025, not true",
        ),
        (
            "version: 1",
            'version: "1"',
            "version",
            '"1" is text (it is in quotes), and version is a whole number:'
            " write version: 1 without the quotes",
        ),
        (
            "  cap: 50000",
            "  cap: 1e5",
            "amount.cap",
            "1e5 is scientific notation; money is exact: write the amount in plain digits, 100000",
        ),
        (
            "  floor: 10000",
            "  floor: 1.0e+4",
            "amount.floor",
            "1.0E+4 is scientific notation; money is exact: write the amount in plain digits,"
            " 10000",
        ),
        (
            'amount: "10000.00"',
            "amount: 1E4",
            "tests[1].expect.amount",
            "1E4 is scientific notation; money is exact: write the amount in plain digits, 10000",
        ),
    ],
)
def test_a_number_written_otherwise_is_refused_with_what_to_write(
    old: str, new: str, field: str, message: str
) -> None:
    error = _refusal(old, new)
    assert error.message == message
    loc = error.location
    assert loc is not None and loc.file == SHIPPED.name and loc.field == field
    # At the value itself: its line, and the column after "key: ".
    text = TEXT.replace(old, new, 1)
    before = text[: text.index(new)]
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + len(new.split(":")[0]) + 3
    assert (loc.line, loc.column) == (line, column)


@pytest.mark.parametrize("key", ["budget", "per_enterprise_cap"])
def test_a_budget_or_cap_in_scientific_notation_is_refused(key: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy_text(TEXT + f"{key}: 2e6\n", SHIPPED.name)
    assert info.value.message.endswith("write the amount in plain digits, 2000000")
    assert info.value.location is not None and info.value.location.field == key


@given(mantissa=st.integers(min_value=1, max_value=999), power=st.integers(0, 9))
def test_every_scientific_cap_names_its_plain_digits(mantissa: int, power: int) -> None:
    error = _refusal("  cap: 50000", f"  cap: {mantissa}e{power}")
    assert error.message.endswith(f"plain digits, {Decimal(mantissa) * 10**power:f}")


@pytest.mark.parametrize("cap", ["50000", "50000.00", '"50000"', '"49999.99"'])
def test_plain_amounts_still_load(cap: str) -> None:
    text = TEXT.replace("  cap: 50000", f"  cap: {cap}", 1)
    assert load_policy_text(text, SHIPPED.name).policy.amount.cap == Decimal(cap.strip('"'))


def test_scientific_notation_beyond_any_amount_is_not_written_out_in_full() -> None:
    """Regression (merge of two fixes): '1.0e+999' was refused as scientific notation with
    all thousand of its digits written out as the amount to write instead."""
    text = SHIPPED.read_text(encoding="utf-8").replace("  cap: 50000\n", "")
    text = text.replace("  floor: 10000\n", "  floor: 1.0e+999\n")
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    assert "less than 10000000000000000 yuan" in info.value.message
    assert len(info.value.message) < 200, info.value.message


@pytest.mark.parametrize(
    ("written", "read"),
    [("0500000", Decimal("500000")), ("050000", Decimal("50000")), ("2_000_000", 2000000)],
)
def test_a_cap_with_a_leading_zero_is_read_in_decimal(written: str, read: Decimal) -> None:
    """Regression: YAML 1.1 reads 0500000 as octal, so `cap: 0500000` loaded as 163840
    yuan without a word."""
    text = TEXT.replace("  floor: 10000\n", "").replace("  cap: 50000", f"  cap: {written}", 1)
    assert load_policy_text(text, SHIPPED.name).policy.amount.cap == read


@pytest.mark.parametrize("written", ["190:20:30", "0x1E8480", "0b101"])
def test_a_cap_in_another_base_is_refused_at_its_position(written: str) -> None:
    """Regression: `cap: 190:20:30` (YAML 1.1 base 60) loaded as 685230 yuan and
    `cap: 0x1E8480` as 2000000: numbers nobody wrote in digits."""
    error = _refusal("  cap: 50000", f"  cap: {written}")
    assert error.location is not None and error.location.field == "amount.cap"
    assert "plain digits" in error.message


@pytest.mark.parametrize(("written", "meant"), [("01", 1), ("02", 2), ("0x2", None)])
def test_a_version_in_another_base_says_what_to_write(written: str, meant: int | None) -> None:
    """Regression: `version: 010` loaded as version 8 (octal)."""
    error = _refusal("version: 1", f"version: {written}")
    assert error.location is not None and error.location.field == "version"
    assert "plain digits" in error.message
    if meant is not None:
        assert error.message.endswith(f"write version: {meant}")


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=3))
def test_any_cap_with_leading_zeros_means_its_decimal_digits(cap: int, zeros: int) -> None:
    text = TEXT.replace("  floor: 10000\n", "").replace(
        "  cap: 50000", f"  cap: {'0' * zeros}{cap}"
    )
    assert load_policy_text(text, SHIPPED.name).policy.amount.cap == cap


@pytest.mark.parametrize("key", ["budget", "per_enterprise_cap", "cap"])
def test_an_amount_beyond_what_the_ledger_records_is_refused(key: str) -> None:
    """Regression: `budget: 99999999999999999999999` (and per_enterprise_cap) loaded, lint
    said nothing, and `huiqi publish` ended in "OverflowError: Python int too large to
    convert to SQLite INTEGER"."""
    if key == "cap":
        error = _refusal("  cap: 50000", "  cap: 10000000000000000")
        field = "amount.cap"
    else:
        with pytest.raises(PolicyError) as info:
            load_policy_text(TEXT + f"{key}: 10000000000000000\n", SHIPPED.name)
        error, field = info.value, key
    assert error.location is not None and error.location.field == field
    assert error.message == (
        f"{key} 10000000000000000 yuan is more than huiqi records (amounts are less than"
        f" 10000000000000000 yuan, 10^16): write the {key} in yuan, e.g. 500000"
    )


@given(st.integers(min_value=1, max_value=10**30))
def test_a_budget_loads_only_where_the_ledger_can_hold_it_in_fen(budget: int) -> None:
    try:
        policy = load_policy_text(TEXT + f"budget: {budget}\n", SHIPPED.name).policy
    except PolicyError as exc:
        assert exc.location is not None and exc.location.field == "budget"
        assert budget >= 10**16
    else:
        assert policy.budget == budget and budget * 100 < 2**63
