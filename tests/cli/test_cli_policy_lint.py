"""`huiqi policy lint` on folders written outside the project (issue 9)."""

from __future__ import annotations

from pathlib import Path

from cliutil import run

from huiqi.engine.compile.compiler import EXAMPLE_POLICY


def _write(folder: Path, name: str, expr: str) -> Path:
    path = folder / name
    path.write_text(
        EXAMPLE_POLICY.replace("id: example", f"id: {path.stem}").replace(
            "revenue >= 1000000", expr
        ),
        encoding="utf-8",
    )
    return path


def test_one_deep_file_does_not_stop_the_folder(tmp_path: Path) -> None:
    """Regression: 500 ANDs raised RecursionError and no other file of the folder was reported."""
    deep = _write(tmp_path, "a-deep.yaml", " AND ".join(["revenue > 0"] * 500))
    comment = _write(tmp_path, "b-comment.yaml", "employees > 10 -- AND NOT credit_dishonest")
    _write(tmp_path, "c-good.yaml", "revenue >= 1000000")
    code, out = run(tmp_path, "policy", "lint", str(tmp_path))
    assert code == 4, out
    assert "Traceback" not in out and "RecursionError" not in out
    assert f"{deep}, line 16, column 11, field 'criteria[0].expr'" in out
    assert f"{comment}, line 16, column 11" in out and "comments are not allowed" in out
    assert "1 policies checked: 2 errors" in out


def test_lint_passes_the_shipped_library_on_the_edge_frame() -> None:
    code, out = run(Path("."), "policy", "lint")
    assert code == 0, out
    assert " 0 errors" in out
