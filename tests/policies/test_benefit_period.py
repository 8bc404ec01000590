"""A benefit period is told apart as written: a year written another way is refused."""

from __future__ import annotations

import pytest

from huiqi.errors import PolicyError
from huiqi.policies.loader import library_dir, load_policy_text

SHIPPED = library_dir() / "yp-tech-sme-award-2026.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


def _with_period(written: str) -> str:
    return TEXT.replace("\namount:", f"\nbenefit_period: {written}\namount:", 1)


@pytest.mark.parametrize("written", ['"2026年"', '"2026年度"', '"2026 "', '" 2026"', '"２０２６"'])
def test_a_year_written_another_way_is_refused(written: str) -> None:
    """Regression: 'benefit_period: "2026年"' (or "2026 ") was taken as written, a period
    other than the default '2026' that grants, exclusivity groups and caps are counted by:
    an enterprise granted under the first version, or by another policy of its group, was
    paid again."""
    with pytest.raises(PolicyError) as refused:
        load_policy_text(_with_period(written), SHIPPED.name)
    assert "is the year 2026 written another way" in refused.value.message
    assert "write the year alone, in quotes" in refused.value.message
    loc = refused.value.location
    assert loc is not None and loc.field == "benefit_period"


@pytest.mark.parametrize("written", ['"2026"', '"2026-H1"', '"2026-Q3"', '"2025-2026"'])
def test_other_periods_are_kept_as_written(written: str) -> None:
    loaded = load_policy_text(_with_period(written), SHIPPED.name)
    assert loaded.policy.period == written.strip('"')
