"""An exclusivity group with one member among the files linted is a warning at that file's
``exclusivity_group`` line and column, saying what to check (not a bare 'group NAME')."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.policies.lint import lint_library
from huiqi.policies.loader import Library, library_dir, load_library


def test_a_lonely_group_points_at_the_field() -> None:
    path = library_dir() / "sh-model-voucher-2026.yaml"
    lib = load_library([path])
    (finding,) = [f for f in lint_library(Library(lib.policies, [])) if f.kind == "lonely_group"]
    line = next(
        i
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if text.startswith("exclusivity_group:")
    )
    assert finding.where == f"{path}, line {line}, column 20, field 'exclusivity_group'"
    assert "lint them together" in finding.message


def _capped(policy_id: str, cap: str) -> str:
    text = (library_dir() / "yp-tech-sme-award-2026.yaml").read_text(encoding="utf-8")
    text = text.replace("id: yp-tech-sme-award-2026", f"id: {policy_id}", 1)
    return text + f"per_enterprise_cap: {cap}\ncap_group: yp-tech-awards\n"


def test_a_cap_group_whose_policies_state_different_caps_is_a_warning(tmp_path: Path) -> None:
    """Regression: two policies of one cap_group stating 120000 and 50000 linted clean;
    the ledger holds each grant to its own policy's cap (grantmaker.cap_left), so what an
    enterprise received in all depended on which policy was granted first."""
    (tmp_path / "yp-a-2026.yaml").write_text(_capped("yp-a-2026", "120000"), encoding="utf-8")
    (tmp_path / "yp-b-2026.yaml").write_text(_capped("yp-b-2026", "50000"), encoding="utf-8")
    found = [f for f in lint_library(load_library([tmp_path])) if f.kind == "cap_disagreement"]
    assert [f.where.split(", field")[0].split(", line")[0] for f in found] == [
        str(tmp_path / "yp-a-2026.yaml"),
        str(tmp_path / "yp-b-2026.yaml"),
    ]
    assert all(f.where.endswith("field 'per_enterprise_cap'") for f in found)
    assert "(yp-a-2026 120000, yp-b-2026 50000)" in found[0].message
    (tmp_path / "yp-b-2026.yaml").write_text(_capped("yp-b-2026", "120000"), encoding="utf-8")
    assert not [f for f in lint_library(load_library([tmp_path])) if f.kind == "cap_disagreement"]


def test_a_group_name_not_in_lower_case_with_hyphens_is_a_warning(tmp_path: Path) -> None:
    """Regression (QA): 'QA_Excl 组' was accepted without a word; another author's
    'qa-excl' would be a second group, and 就高不重复 would not apply between them."""
    text = (library_dir() / "yp-tech-sme-award-2026.yaml").read_text(encoding="utf-8")
    path = tmp_path / "yp-tech-sme-award-2026.yaml"
    path.write_text(text + "exclusivity_group: QA_Excl 组\n", "utf-8")
    found = [f for f in lint_library(load_library([path])) if f.kind == "group_name"]
    assert [f.where.rsplit(", field ", 1)[1] for f in found] == ["'exclusivity_group'"]
    assert "'QA_Excl 组' is not in lower-case letters" in found[0].message
    assert "such as 'qa-excl'" in found[0].message


def _lonely(tmp_path: Path, group: str) -> str:
    text = (library_dir() / "pd-hte-award-2026.yaml").read_text(encoding="utf-8")
    text = text.replace("id: pd-hte-award-2026", "id: pd-hte-bonus-2026", 1)
    text = text.replace("exclusivity_group: hte-award", f"exclusivity_group: {group}", 1)
    path = tmp_path / "pd-hte-bonus-2026.yaml"
    path.write_text(text, encoding="utf-8")
    (finding,) = [f for f in lint_library(load_library([path])) if f.kind == "lonely_group"]
    return finding.message


@pytest.mark.parametrize(
    ("group", "says"),
    [
        ("HTE Award", "did you mean 'hte-award' (the group of jd-hte-award-2026,"),
        ("hte", "did you mean 'hte-award' (the group of"),
        ("hte-awards", "did you mean 'hte-award'"),
        ("hte-award", "the shipped library's jd-hte-award-2026, mh-hte-award-2026,"),
        ("ai-model-vouchers", "the shipped library's sh-model-voucher-2026, xh-model-voucher"),
    ],
)
def test_a_lonely_group_names_the_group_it_likely_means(
    tmp_path: Path, group: str, says: str
) -> None:
    """Regression (QA, qa7): 'exclusivity_group: AI Compute' for a voucher exclusive with
    the city's 'ai-compute-vouchers' was warned "only … among the files checked", without
    the group it most likely meant or the library's policies already in it."""
    assert says in _lonely(tmp_path, group)


@pytest.mark.parametrize("group", ["ai-robot-subsidy", "green-factory"])
def test_a_group_unlike_any_is_not_given_a_guess(tmp_path: Path, group: str) -> None:
    message = _lonely(tmp_path, group)
    assert "did you mean" not in message and "shipped library" not in message
