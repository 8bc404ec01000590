"""A bulk run names the policies that read a year its snapshot holds no figures for.

Regression (QA, qa7): a 2027 policy on 2026 figures (``data_year: 2026``), matched
against a snapshot of 2022–2025, gave "needs data" for every one of 5,000 enterprises,
and ``huiqi match`` said nothing of why."""

from __future__ import annotations

import pytest

from huiqi.engine import CompiledPolicy, compile_policy
from huiqi.matching.missing_years import lacking_notes, years_lacking
from huiqi.policies.loader import library_dir, load_policy_text

SHIPPED = library_dir() / "sh-stable-jobs-refund-2026.yaml"  # data_year 2025, reads [-1]


def _compiled(data_year: int) -> CompiledPolicy:
    text = SHIPPED.read_text("utf-8").replace("\ndata_year: 2025", f"\ndata_year: {data_year}", 1)
    return compile_policy(load_policy_text(text, SHIPPED.name))


@pytest.mark.parametrize(
    ("data_year", "years", "lacking"),
    [
        (2025, {2022, 2023, 2024, 2025}, []),
        (2026, {2022, 2023, 2024, 2025}, [2026]),
        (2027, {2022, 2023, 2024, 2025}, [2026, 2027]),
        (2025, {2025}, [2024]),
    ],
)
def test_the_years_a_policy_reads_that_the_snapshot_lacks(
    data_year: int, years: set[int], lacking: list[int]
) -> None:
    cp = _compiled(data_year)
    reads = [c for crit in cp.criteria for c in crit.reads] + list(cp.amount_reads)
    assert years_lacking(reads, years) == lacking


def test_the_note_names_the_policy_its_years_and_the_snapshots() -> None:
    (note,) = lacking_notes([_compiled(2026)], {2022, 2023, 2024, 2025})
    assert note.startswith(
        "sh-stable-jobs-refund-2026 reads figures of 2026 (its data_year is 2026), which the"
        " snapshot does not hold (its years: 2022–2025)"
    )
    assert lacking_notes([_compiled(2025)], {2022, 2023, 2024, 2025}) == []
