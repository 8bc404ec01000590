"""A data year after the policy's last year is a lint warning: while such a policy is in
force no registry holds that year's figures, so it delivers nothing. It broke: 'data_year:
2030' in a 2026 policy (a slip for 2025) linted, tested and published without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.policies.lint import lint_library
from huiqi.policies.loader import library_dir, load_library

SHIPPED = library_dir() / "jd-hte-award-2026.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


def _data_year_findings(tmp_path: Path, data_year: int) -> list[tuple[str, str]]:
    path = tmp_path / SHIPPED.name
    path.write_text(TEXT.replace("\ndata_year: 2025", f"\ndata_year: {data_year}", 1), "utf-8")
    return [
        (f.severity, f.message) for f in lint_library(load_library([path])) if f.kind == "data_year"
    ]


def test_a_data_year_after_the_last_year_is_a_warning(tmp_path: Path) -> None:
    assert _data_year_findings(tmp_path, 2030) == [
        (
            "warning",
            "data_year 2030 is after the policy's last year (2026): no registry has a year's"
            " figures before the year has ended, so every enterprise would need data; a policy"
            " usually judges the year before it starts (data_year: 2025)",
        )
    ]


@pytest.mark.parametrize("data_year", [2024, 2025, 2026])
def test_a_data_year_up_to_the_last_year_is_not(tmp_path: Path, data_year: int) -> None:
    assert _data_year_findings(tmp_path, data_year) == []
