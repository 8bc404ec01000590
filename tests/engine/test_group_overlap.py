"""Overlaps inside an exclusivity group (huiqi.engine.group_overlap): a member whose eligible
test case another member grants at least as much is a warning at its exclusivity_group,
naming both policies and the amounts (QA: three rungs with the same criteria linted clean)."""

from __future__ import annotations

from pathlib import Path

from huiqi.engine.compile.library import compile_library
from huiqi.engine.policycheck import lint_compiled
from huiqi.policies.loader import library_dir, load_library

SOURCE = library_dir() / "yp-tech-sme-award-2026.yaml"


def _member(folder: Path, policy_id: str, *, group: str, rate: str = "0.05") -> None:
    text = SOURCE.read_text(encoding="utf-8")
    text = text.replace("id: yp-tech-sme-award-2026", f"id: {policy_id}", 1)
    if rate != "0.05":
        # Half the rate: the cases' amounts are half too (floor and cap halved with it).
        text = text.replace('formula: "0.05 * rd_expense"', f'formula: "{rate} * rd_expense"', 1)
    (folder / f"{policy_id}.yaml").write_text(text + f"exclusivity_group: {group}\n", "utf-8")


def _overlaps(folder: Path) -> list[str]:
    found = lint_compiled(compile_library(load_library([folder])))
    return [f"{f.where} | {f.message}" for f in found if f.kind == "group_overlap"]


def test_a_member_another_member_always_outranks_is_a_warning(tmp_path: Path) -> None:
    _member(tmp_path, "yp-high-2026", group="yp-awards")
    _member(tmp_path, "yp-low-2026", group="yp-awards", rate="0.04")
    high, low = sorted(_overlaps(tmp_path))
    assert low.startswith(str(tmp_path / "yp-low-2026.yaml")), low
    assert "field 'exclusivity_group'" in low
    assert "is also eligible under yp-high-2026, which gives 22,839.45 yuan" in low, low
    assert "nothing under yp-low-2026" in low
    # Both rates reach the same 10,000-yuan floor: a tie grants one of them only.
    assert high.startswith(str(tmp_path / "yp-high-2026.yaml")), high
    assert "(10,000.00 yuan) is also eligible under yp-low-2026, which gives 10,000.00" in high


def test_members_of_different_groups_are_not_compared(tmp_path: Path) -> None:
    _member(tmp_path, "yp-high-2026", group="yp-awards")
    _member(tmp_path, "yp-low-2026", group="yp-other", rate="0.04")
    assert _overlaps(tmp_path) == []
