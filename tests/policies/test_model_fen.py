"""A policy's yuan figures (``amount.cap``, ``amount.floor``, ``budget``,
``per_enterprise_cap``) hold whole fen. It broke: a draft with ``cap: 900000.555`` passed
the lint and published, and then every read of the public catalogue
(``GET /api/v1/policies``, the home page) was a 500 ("fractions of a fen"), and a budget
of that kind was truncated to the fen in the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"  # floor: 10000, cap: 50000
TEXT = SHIPPED.read_text(encoding="utf-8")

sub_fen = st.builds(
    lambda fen, extra: Decimal(fen) / 100 + Decimal(extra) / 10_000,
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=1, max_value=99),
)
whole_fen = st.integers(min_value=0, max_value=10**12).map(lambda fen: Decimal(fen) / 100)


@given(value=sub_fen, line=st.sampled_from(["  cap: 50000\n", "  floor: 10000\n"]))
def test_a_cap_or_floor_with_fractions_of_a_fen_is_refused(value: Decimal, line: str) -> None:
    name = line.split(":")[0].strip()
    bound = f"  {name}: {value}\n"
    text = TEXT.replace(line, bound).replace("  floor: 10000\n", "  floor: 0\n")
    if name == "floor":
        text = text.replace("  cap: 50000\n", "  cap: 10000000000000\n")
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    assert "fractions of a fen" in info.value.message


@given(value=whole_fen.filter(lambda v: v > 0))  # a cap of 0 is refused (it never pays)
def test_a_cap_in_whole_fen_loads(value: Decimal) -> None:
    text = TEXT.replace("  cap: 50000\n", f"  cap: {value}\n").replace(
        "  floor: 10000\n", "  floor: 0\n"
    )
    assert load_policy_text(text, SHIPPED.name).policy.amount.cap == value


@given(value=sub_fen, key=st.sampled_from(["budget", "per_enterprise_cap"]))
def test_a_budget_with_fractions_of_a_fen_is_refused(value: Decimal, key: str) -> None:
    text = TEXT + f"{key}: {value + 1}\n"
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    assert "fractions of a fen" in info.value.message


@pytest.mark.parametrize("amount", ["2000.001", '"1999.995"', "1999.999999999999"])
def test_an_expected_amount_with_fractions_of_a_fen_is_refused(amount: str) -> None:
    """Regression: a test case expecting 30000.001 (or the YAML number 29999.999999999999)
    passed against a result of 30000.00: the runner rounded the expectation to the fen
    (half even) before comparing, so a case could assert an amount no grant can be."""
    text = TEXT.replace('amount: "10000.00"', f"amount: {amount}", 1)
    assert text != TEXT
    with pytest.raises(PolicyError) as info:
        load_policy_text(text, SHIPPED.name)
    assert "fractions of a fen" in info.value.message
    assert info.value.location is not None and info.value.location.line is not None
