"""An exclusivity group with one member among the files linted is a warning at that file's
``exclusivity_group`` line and column, saying what to check (not a bare 'group NAME')."""

from __future__ import annotations

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
