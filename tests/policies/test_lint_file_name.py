"""A policy file not named ``<id>.yaml`` is a lint warning naming the file, the id and the
name to give it. It broke: a user copied a policy file, changed nothing but the content,
and lint said nothing about the file name."""

from __future__ import annotations

import shutil
from pathlib import Path

from huiqi.policies.lint import lint_library
from huiqi.policies.loader import library_dir, load_library

SHIPPED = library_dir() / "jd-hte-award-2026.yaml"


def _file_name_findings(path: Path) -> list[tuple[str, str, str]]:
    return [
        (f.severity, f.where, f.message)
        for f in lint_library(load_library([path]))
        if f.kind == "file_name"
    ]


def test_a_copied_file_that_keeps_the_wrong_name_is_a_warning(tmp_path: Path) -> None:
    copy = tmp_path / "copy of award.yaml"
    shutil.copy(SHIPPED, copy)
    assert _file_name_findings(copy) == [
        (
            "warning",
            str(copy),
            "the file is named 'copy of award.yaml' but the policy's id is 'jd-hte-award-2026';"
            " rename the file to 'jd-hte-award-2026.yaml' (or 'jd-hte-award-2026-v1.yaml'"
            " beside an earlier version), or change the id",
        )
    ]


def test_a_yml_file_is_told_to_keep_its_suffix(tmp_path: Path) -> None:
    copy = tmp_path / "draft.yml"
    shutil.copy(SHIPPED, copy)
    [(_, _, message)] = _file_name_findings(copy)
    assert "rename the file to 'jd-hte-award-2026.yml' (or 'jd-hte-award-2026-v1.yml'" in message


def test_a_file_named_after_its_id_is_not_warned(tmp_path: Path) -> None:
    assert _file_name_findings(SHIPPED) == []
    same = tmp_path / "jd-hte-award-2026.yml"
    shutil.copy(SHIPPED, same)
    assert _file_name_findings(same) == []


def test_a_later_version_beside_the_first_may_carry_its_version(tmp_path: Path) -> None:
    """docs/policies.md: a new version goes in a new file beside the first; both cannot be
    <id>.yaml, so <id>-v<version>.yaml is a name lint accepts (and only the right one)."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert "\nversion: 1\n" in text
    later = tmp_path / "jd-hte-award-2026-v2.yaml"
    later.write_text(text.replace("\nversion: 1\n", "\nversion: 2\n"), encoding="utf-8")
    assert _file_name_findings(later) == []
    wrong = tmp_path / "jd-hte-award-2026-v3.yaml"
    wrong.write_text(text.replace("\nversion: 1\n", "\nversion: 2\n"), encoding="utf-8")
    assert [kind for kind, _, _ in _file_name_findings(wrong)] == ["warning"]
